"""TRL: a reward_funcs callable backed by `infogain serve`.

    from trl import GRPOTrainer
    from trl_reward import infogain_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[infogain_reward], ...)

With TRL's conversational format (prompts and completions as lists of {"role", "content"}
messages) each conversation is rendered as ChatML (the server's default --chat-format) and sent to
/get_reward; each completion's reward is the sum of its turns' InfoPO information gain: a
completion of one assistant message earns 0 (InfoPO rewards what an observation taught the next
action). A `ground_truth` column, when the dataset has one, is IGPO's label.
INFOGAIN_URL / INFOGAIN_TOKEN name the server.
"""
from infogain_client import InfogainClient

_client = None


def chatml(messages, generation_prompt=False):
    """Messages as ChatML text, as Qwen's chat template renders them."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if generation_prompt else "")


def conversation(prompt, completion):
    """(prompt text with the assistant header, whole text): each assistant message ends with <|im_end|>."""
    if isinstance(prompt, str):
        prompt = [{"role": "user", "content": prompt}]
    if isinstance(completion, str):
        completion = [{"role": "assistant", "content": completion}]
    head = chatml(prompt, generation_prompt=True)
    # the first assistant message follows the header the prompt ends with
    first, rest = completion[0], completion[1:]
    return head, head + f"{first['content']}<|im_end|>\n" + chatml(rest)


def infogain_reward(prompts, completions, ground_truth=None, **kwargs):
    global _client
    if _client is None:
        _client = InfogainClient()
    pairs = [conversation(p, c) for p, c in zip(prompts, completions)]
    labels = [g if isinstance(g, str) else "" for g in ground_truth] if ground_truth is not None else []
    answer = _client.get_reward([text for _, text in pairs], prompts=[head for head, _ in pairs], labels=labels)
    return [float(r) for r in answer["rewards"]]
