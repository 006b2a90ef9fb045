// Scaffolding: the benchmark harness (issue 5) replaces this file.
Console.Error.WriteLine("The benchmark harness is not written yet.");
return 1;
