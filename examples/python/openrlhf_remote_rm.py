"""OpenRLHF: `infogain serve` as the remote reward model.

    infogain serve --model policy.onnx --tokenizer tokenizer.json --port 8000 --chat-format chatml
    python -m openrlhf.cli.train_ppo_ray ... --reward.remote_url http://127.0.0.1:8000/get_reward
    # OpenRLHF before 0.8: --remote_rm_url http://127.0.0.1:8000/get_reward

OpenRLHF posts {"query": [...], "prompts": [...], "labels": [...]} (query = prompt + response,
decoded with special tokens kept) and reads "rewards" (and "scores", "extra_logs"). This file
sends exactly that, the way OpenRLHF's remote_rm_fn does, to check a server by hand:

    python3 openrlhf_remote_rm.py http://127.0.0.1:8000/get_reward
"""
import json
import sys
import urllib.request


def remote_rm_fn(url, queries, prompts, labels):
    body = json.dumps({"query": queries, "prompts": prompts, "labels": labels}).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read().decode("utf-8"))


if __name__ == "__main__":
    prompt = "<|im_start|>user\nfly<|im_end|>\n<|im_start|>assistant\n"
    response = "city?<|im_end|>\n<|im_start|>user\nrome<|im_end|>\n<|im_start|>assistant\nBOOK(rome)<|im_end|>\n"
    print(json.dumps(remote_rm_fn(sys.argv[1], [prompt + response], [prompt], ["BOOK(rome)"])))
