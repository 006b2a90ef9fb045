// Scaffolding: only `worker run` for now, so process tests can start real workers.
// The full command line (issue 2) replaces this file.
using QueueCtl.Core;
using QueueCtl.Core.Storage;
using QueueCtl.Core.Workers;

var options = new WorkerOptions();
string? db = null;
for (var i = 2; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--db": db = args[++i]; break;
        case "--concurrency": options = options with { Slots = int.Parse(args[++i]) }; break;
        case "--queue": options = options with { Queues = [.. options.Queues, args[++i]] }; break;
        case "--worker-id": options = options with { WorkerId = args[++i] }; break;
        case "--once": options = options with { Drain = true }; break;
    }
}
if (args.Length < 2 || args[0] != "worker" || args[1] != "run") { Console.Error.WriteLine("usage: queuectl worker run [--db PATH] [--concurrency N] [--queue Q] [--worker-id ID] [--once]"); return 2; }
using var stop = new CancellationTokenSource();
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var intr = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
var worker = new Worker(DatabaseLocation.Resolve(db), options);
worker.EventRaised += e => Console.WriteLine(e);
await worker.RunAsync(stop.Token);
return 0;
