// OpenRLHF sends each sample as one string: the prompt and the response, chat-formatted, decoded
// with special tokens kept. This splits it back into the rollout schema: every assistant message
// after the prompt is an action (its content and end-of-message marker: what the model
// generated), and everything between two assistant messages (tool or user messages, and the next
// assistant header) is the observation of the action before it. prompt + actions + observations
// is the text again, character for character.
//
//   chatml (Qwen, the default): <|im_start|>assistant\n ... <|im_end|>
//   llama3:                     <|start_header_id|>assistant<|end_header_id|>\n\n ... <|eot_id|>
//                               (or <|eom_id|>: a tool call, whose ipython message is the observation)
import type { Turn } from '../rollouts';

export interface ChatFormat {
  /** The header that opens an assistant message, up to its content. */
  assistant: string;
  /** What ends a message (included in the action it ends): the first of these after its start. */
  ends: readonly string[];
}

export const chatFormats = {
  chatml: { assistant: '<|im_start|>assistant\n', ends: ['<|im_end|>'] },
  llama3: { assistant: '<|start_header_id|>assistant<|end_header_id|>\n\n', ends: ['<|eot_id|>', '<|eom_id|>'] },
} as const satisfies Record<string, ChatFormat>;

export type ChatFormatName = keyof typeof chatFormats;
export const chatFormatNames = Object.keys(chatFormats) as ChatFormatName[];

/**
 * `query` as a prompt and turns. The response starts after `prompt` when `query` starts with it
 * (OpenRLHF's `prompts`), else at the start; its first assistant message may have no header (the
 * prompt ends with one). Returns a reason instead when there is no assistant message to score.
 */
export function splitChat(query: string, prompt: string | undefined, format: ChatFormat): { prompt: string; turns: Turn[] } | string {
  const promptEnd = prompt !== undefined && prompt.length > 0 && query.startsWith(prompt) ? prompt.length : 0;
  // where each action's content starts: right after the prompt when it ends with the header, then after every header
  const starts: number[] = [];
  if (promptEnd > 0 && query.slice(0, promptEnd).endsWith(format.assistant)) starts.push(promptEnd);
  // a header that straddles the prompt's end opens the response's first message too
  for (let at = query.indexOf(format.assistant, Math.max(0, promptEnd - format.assistant.length + 1)); at >= 0; at = query.indexOf(format.assistant, at + format.assistant.length))
    starts.push(at + format.assistant.length);
  if (!starts.length) return `no assistant message (${JSON.stringify(format.assistant)}) after the prompt`;
  const turns: Turn[] = [];
  starts.forEach((start, k) => {
    const next = k + 1 < starts.length ? starts[k + 1] : query.length;
    const close = firstEnd(query, start, format.ends);
    // a message cut short (max length) has no end marker: the action runs to the next header or the end
    const actionEnd = close && close.at < next ? close.at + close.length : k + 1 < starts.length ? next - format.assistant.length : query.length;
    turns.push({ action: query.slice(start, actionEnd), observation: query.slice(actionEnd, next) });
  });
  const empty = turns.findIndex((t) => (t.action as string).length === 0);
  if (empty >= 0) return `assistant message ${empty} is empty`;
  return { prompt: query.slice(0, starts[0]), turns };
}

/** The first of `ends` at or after `from`: where it is and its length. */
function firstEnd(query: string, from: number, ends: readonly string[]): { at: number; length: number } | undefined {
  let best: { at: number; length: number } | undefined;
  for (const end of ends) {
    const at = query.indexOf(end, from);
    if (at >= 0 && (!best || at < best.at)) best = { at, length: end.length };
  }
  return best;
}
