"""Synthetic intent-clarification dialogues for the bundled tiny model.

A user wants a flight with three hidden slots (city, date, class). The agent asks about some of
them; the user answers (informative) or says nothing useful (uninformative). The agent's next
message acknowledges what it learned ("paris, got it."), and its final action books with the
revealed slots and `any` for the rest. So a revealed answer changes the agent's next action,
and an unhelpful one does not: the signal InfoPO's information gain measures. The booking comes
right after `\nA: `, so IGPO's belief in the true booking can be read after that prefix at any step.

Text is byte-level. A rollout is split the way infogain reads it:
  prompt, then turns of (action, observation); the last turn's action is the booking.
Observations hold only the user's answer text (the `U: ` template is the end of the action),
so masking an observation replaces exactly the answer.

Each example rollout also names the slots as attributes (Nous, C-IP): their candidate values, the
question that reads the agent's belief about each (the booking it would make now, up to that slot;
earlier slots `any`, since the model reads a revealed slot from the dialogue, not from the booking
prefix) and the true values.

Usage: python3 model/corpus.py --train N --seed S > corpus.txt      (training text, one per line)
       python3 model/corpus.py --rollouts examples/rollouts.jsonl --seed 7   (the example rollout groups)
       python3 model/corpus.py --rollouts examples/calibration.jsonl --seed 8 --groups 20   (held out, for C-IP)
"""
import argparse
import json
import random

CITIES = ["paris", "tokyo", "lima", "oslo", "cairo", "rome", "delhi", "quito", "seoul", "dakar", "perth", "hanoi"]
DATES = ["may 3", "jun 12", "jul 9", "aug 21", "sep 5", "oct 30", "nov 2", "dec 17"]
CLASSES = ["economy", "business", "first"]
SLOTS = {"city": CITIES, "date": DATES, "class": CLASSES}
REQUESTS = ["book a flight", "i need a flight", "get me a ticket"]
QUESTIONS = {"city": ["which city?", "where to?"], "date": ["what date?", "when?"], "class": ["which class?", "what class?"]}
INFORMATIVE = ["{v}", "{v} please", "it is {v}"]
BELIEF_QUESTIONS = {"city": "\nA: BOOK(city=", "date": "\nA: BOOK(city=any;date=", "class": "\nA: BOOK(city=any;date=any;class="}
PLACEHOLDER = "No information found."  # InfoPO's observation placeholder
UNINFORMATIVE = ["not sure", "no idea", "whatever", "hmm", "you pick", "later", PLACEHOLDER]


def placeholder_like(rng):
    """The placeholder cut or padded to some length, as length-matched masking produces it."""
    n = rng.randint(3, 28)
    return PLACEHOLDER[:n] if n <= len(PLACEHOLDER) else PLACEHOLDER + "." * (n - len(PLACEHOLDER))


def booking(values):
    return "BOOK(" + ";".join(f"{k}={values.get(k, 'any')}" for k in SLOTS) + ")"


def dialogue(rng, intent, asked, informative):
    """One rollout: prompt, turns [(action, observation)], last action, and what was revealed."""
    prompt = "U: " + rng.choice(REQUESTS)
    turns, revealed, ack = [], {}, ""
    for slot, helpful in zip(asked, informative):
        # every agent message opens with "\nA: " (the newline ends the user's text)
        action = f"\nA: {ack}{rng.choice(QUESTIONS[slot])}\nU: "
        if helpful:
            obs = rng.choice(INFORMATIVE).format(v=intent[slot])
            revealed[slot] = intent[slot]
            ack = f"{intent[slot]}, got it. "
        else:
            obs = placeholder_like(rng) if rng.random() < 0.3 else rng.choice(UNINFORMATIVE)
            ack = "ok. "
        turns.append([action, obs])
    final = f"\nA: {booking(revealed)}\n"
    return prompt, turns, final, revealed


def random_case(rng, intent=None):
    intent = intent or {k: rng.choice(v) for k, v in SLOTS.items()}
    asked = rng.sample(list(SLOTS), rng.randint(0, 3))
    informative = [rng.random() < 0.6 for _ in asked]
    return intent, asked, informative


def text_of(prompt, turns, final):
    return prompt + "".join(a + o for a, o in turns) + final


def outcome(intent, revealed):
    """Reward: the fraction of slots booked right (`any` is wrong)."""
    return round(sum(revealed.get(k) == intent[k] for k in SLOTS) / len(SLOTS), 4)


def write_rollouts(path, rng, groups=6, per_group=6):
    """GRPO-style groups: one hidden intent per group, several agent behaviours each."""
    with open(path, "w") as f:
        for g in range(groups):
            intent = {k: rng.choice(v) for k, v in SLOTS.items()}
            for r in range(per_group):
                _, asked, informative = random_case(rng, intent)
                if r == 0:  # every group has one rollout that asks everything and learns it all
                    asked, informative = list(SLOTS), [True, True, True]
                prompt, turns, final, revealed = dialogue(rng, intent, asked, informative)
                all_turns = [{"action": a, "observation": o} for a, o in turns] + [{"action": final}]
                f.write(json.dumps({
                    "id": f"g{g}-r{r}",
                    "group": f"g{g}",
                    "prompt": prompt,
                    "turns": all_turns,
                    "reward": outcome(intent, revealed),
                    "groundTruth": booking(intent),
                    "attributes": SLOTS,
                    "question": BELIEF_QUESTIONS,
                    "truth": intent,
                    "meta": {"informative": informative, "asked": asked},
                }) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=0)
    ap.add_argument("--rollouts")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--groups", type=int, default=6)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.rollouts:
        write_rollouts(args.rollouts, rng, groups=args.groups)
    for _ in range(args.train):
        intent, asked, informative = random_case(rng)
        print(json.dumps(text_of(*dialogue(rng, intent, asked, informative)[:3])))


if __name__ == "__main__":
    main()
