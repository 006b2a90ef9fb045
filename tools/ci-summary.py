#!/usr/bin/env python3
"""Totals every suite's results under TestResults/ into the one line CI reads:
'N passed, N failed' (', N skipped' when any were). Suites: xunit TRX files, NUnit XML
(Pester), and the JSON result files the script checks write ({"passed":N,"failed":N,"skipped":N})."""
import glob, json, os, sys
import xml.etree.ElementTree as ET

def main(folder):
    passed = failed = skipped = 0
    for path in glob.glob(os.path.join(folder, "**", "*.trx"), recursive=True):
        counters = ET.parse(path).getroot().find(".//{*}ResultSummary/{*}Counters")
        if counters is None:
            failed += 1
            continue
        c = {k: int(v) for k, v in counters.attrib.items() if v.isdigit()}
        passed += c.get("passed", 0)
        failed += c.get("failed", 0) + c.get("error", 0) + c.get("timeout", 0) + c.get("aborted", 0)
        skipped += c.get("notExecuted", 0)
    for path in glob.glob(os.path.join(folder, "**", "*.nunit.xml"), recursive=True):
        root = ET.parse(path).getroot()
        passed += int(root.get("total", 0)) - int(root.get("failures", 0)) - int(root.get("errors", 0)) - int(root.get("not-run", 0)) - int(root.get("inconclusive", 0)) - int(root.get("ignored", 0)) - int(root.get("skipped", 0))
        failed += int(root.get("failures", 0)) + int(root.get("errors", 0))
        skipped += int(root.get("not-run", 0)) + int(root.get("ignored", 0)) + int(root.get("skipped", 0))
    for path in glob.glob(os.path.join(folder, "**", "*.results.json"), recursive=True):
        with open(path) as f:
            r = json.load(f)
        passed += int(r.get("passed", 0)); failed += int(r.get("failed", 0)); skipped += int(r.get("skipped", 0))
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    return line, failed

if __name__ == "__main__":
    line, failed = main(sys.argv[1] if len(sys.argv) > 1 else "TestResults")
    print(line)
