"""Summary of one device run (bench/gpu/run.sh): card, check verdicts, targets, and infogain next to
PyTorch's anchors measured in the same call. Reads OUT/card.txt, OUT/gpu_bench.txt (its RESULT and
TARGET lines, the table) and OUT/anchors.json; prints markdown (run.sh keeps it as summary.md).

    python3 bench/gpu/summarize.py OUT
"""
import json
import os
import sys


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def main(out):
    card = read(os.path.join(out, "card.txt")).strip()
    bench = read(os.path.join(out, "gpu_bench.txt"))
    try:
        anchors = json.loads(read(os.path.join(out, "anchors.json")) or "{}")
    except ValueError:
        anchors = {}
    results = {}
    for line in bench.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "RESULT":
            try:
                results[parts[1]] = float(parts[2])
            except ValueError:
                pass

    print("## Device run summary\n")
    print("```\n" + (card or "(no card.txt)") + "\n```\n")

    print("### Checks and timings (infogain_gpu_bench)\n")
    table = [l for l in bench.splitlines() if l.startswith("|")]
    print("\n".join(table) if table else "(no table: the harness did not reach its summary; see gpu_bench.txt)")
    verdicts = [l for l in bench.splitlines() if l.startswith(("FAIL", "ok:", "FAILED:", "TIMEOUT", "CUDA error", "no device"))
                or l.rstrip().endswith(("FAIL", "CPU OVER TOLERANCE")) or "CPU results over tolerance" in l]
    print("\n" + ("\n".join(f"- {l.strip()}" for l in verdicts[-30:]) if verdicts else "- (no verdict line)") + "\n")

    print("### Targets (issue 21)\n")
    targets = sorted({l for l in bench.splitlines() if l.startswith("TARGET ")}, key=bench.index)
    print("\n".join(f"- {t[len('TARGET '):]}" for t in targets) if targets else "- (no target measured)")
    print()

    print("### infogain next to PyTorch, same card, same call\n")
    if not anchors:
        print("(no anchors.json: torch_anchors.py did not run or did not finish)")
        return
    rows = []

    def row(what, ours_key, torch_key, unit="ms", note=""):
        ours, theirs = results.get(ours_key), anchors.get(torch_key)
        if ours is None or not isinstance(theirs, (int, float)):
            rows.append(f"| {what} | {ours if ours is not None else '-'} | {theirs if theirs is not None else '-'} | - | {note} |")
            return
        ratio = theirs / ours if unit == "ms" else ours / theirs
        rows.append(f"| {what} | {ours:.4g} {unit} | {theirs:.4g} {unit} | {ratio:.2f}x | {note} |")

    row("log-prob bf16 [16384, 151936] vs torch.compile", "logprob_bf16_device_ms", "logprob_torch_compile_ms",
        note="ours also gives entropy and logsumexp")
    row("log-prob vs F.cross_entropy (bf16)", "logprob_bf16_device_ms", "logprob_F.cross_entropy_bf16_ms")
    row("log-prob vs naive fp32 log_softmax + gather", "logprob_bf16_device_ms", "logprob_naive_fp32_logsoftmax_gather_ms")
    row("log-prob vs TRL chunked", "logprob_bf16_device_ms", "logprob_trl_selective_chunked_ms")
    row("entropy vs verl chunked", "logprob_bf16_device_ms", "entropy_verl_chunked_ms", note="ours: the same fused call")
    row("KL forward 2 x bf16 [8192, 151936] vs naive fp32", "kl_forward_device_ms", "kl_naive_fp32_ms")
    row("KL forward vs F.kl_div", "kl_forward_device_ms", "kl_F.kl_div_ms")
    row("device copy bandwidth (read + write)", "copy_GBps", "d2d_GBps(read+write)", unit="GB/s", note="ratio: ours / torch")
    row("host-to-device pinned", "h2d_pinned_GBps", "h2d_pinned_GBps", unit="GB/s", note="2 GiB vs 1 GiB")
    row("host-to-device pageable", "h2d_pageable_GBps", "h2d_pageable_GBps", unit="GB/s", note="2 GiB vs 1 GiB")
    print("| what | infogain | PyTorch | speed-up | note |\n| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print("\nRatios under 1x mean PyTorch was faster. All figures: medians, this run only.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OUT", "bench/out"))
