// /get_reward's split of chat text into the rollout schema (lib/serve/chat.ts): every assistant
// message after the prompt is an action (content + end marker), the rest up to the next one's
// content its observation, and prompt + actions + observations is the text again.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chatFormats, splitChat } from '../dist/serve/chat.js';

const join = (s) => s.prompt + s.turns.map((t) => t.action + t.observation).join('');
const { chatml, llama3 } = chatFormats;

test('chatml: a tool call, its result, the answer', () => {
  const prompt = '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n';
  const text = prompt + '<tool_call>x</tool_call><|im_end|>\n<|im_start|>tool\nR<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n';
  const s = splitChat(text, prompt, chatml);
  assert.deepEqual(s, {
    prompt,
    turns: [
      { action: '<tool_call>x</tool_call><|im_end|>', observation: '\n<|im_start|>tool\nR<|im_end|>\n<|im_start|>assistant\n' },
      { action: 'A<|im_end|>', observation: '\n' },
    ],
  });
  assert.equal(join(s), text);
  // the same without prompts: the response starts at the first assistant header
  assert.deepEqual(splitChat(text, undefined, chatml), s);
  assert.deepEqual(splitChat(text, '', chatml), s);
});

test('an assistant message in the prompt is the prompt\'s (few-shot), not an action', () => {
  const prompt = '<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n';
  const s = splitChat(prompt + 'A2<|im_end|>', prompt, chatml);
  assert.deepEqual(s, { prompt, turns: [{ action: 'A2<|im_end|>', observation: '' }] });
});

test('a response cut short (no end marker) runs to the end; a prompt that is not a prefix is ignored', () => {
  const prompt = '<|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n';
  const text = prompt + 'partial answ';
  const s = splitChat(text, prompt, llama3);
  assert.deepEqual(s.turns, [{ action: 'partial answ', observation: '' }]);
  assert.equal(join(s), text);
  assert.deepEqual(splitChat(text, 'something else', llama3), s);
});

test('llama3: a tool call ends at <|eom_id|>; the ipython message is its observation, not part of the action', () => {
  const header = (role) => `<|start_header_id|>${role}<|end_header_id|>\n\n`;
  const prompt = `${header('user')}Find x<|eot_id|>${header('assistant')}`;
  const text = `${prompt}<|python_tag|>search(x)<|eom_id|>${header('ipython')}RESULT<|eot_id|>${header('assistant')}x is 3<|eot_id|>`;
  const s = splitChat(text, prompt, llama3);
  assert.deepEqual(s.turns, [
    { action: '<|python_tag|>search(x)<|eom_id|>', observation: `${header('ipython')}RESULT<|eot_id|>${header('assistant')}` },
    { action: 'x is 3<|eot_id|>', observation: '' },
  ]);
  assert.equal(join(s), text);
});

test('no assistant message, or an empty one, is a reason (the route answers 400)', () => {
  assert.match(splitChat('plain text', undefined, chatml), /no assistant message/);
  assert.match(splitChat('<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n', undefined, chatml), /assistant message 0 is empty/);
});
