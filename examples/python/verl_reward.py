"""verl: a custom reward function backed by `infogain serve`.

    # verl's config
    custom_reward_function:
      path: examples/python/verl_reward.py
      name: compute_score

verl calls compute_score(data_source, solution_str, ground_truth, extra_info) per sample. The
response is scored as the text after the prompt: put the chat-formatted prompt (with the assistant
header, as the chat template renders it) in extra_info["prompt"], and decode responses with their
special tokens (the server splits turns at them; --chat-format on the server). The return value is
/get_reward's scalar: the sum of the turns' InfoPO information gain (or IGPO belief gain with
--openrlhf-reward igpo), ground_truth being IGPO's label. INFOGAIN_URL / INFOGAIN_TOKEN name the server.
"""
from infogain_client import InfogainClient

_client = None


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    global _client
    if _client is None:
        _client = InfogainClient()
    prompt = (extra_info or {}).get("prompt", "")
    label = ground_truth if isinstance(ground_truth, str) else ""
    answer = _client.get_reward([prompt + solution_str], prompts=[prompt], labels=[label])
    return float(answer["rewards"][0])
