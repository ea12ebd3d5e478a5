// Parsing serving-engine answers without a server: SGLang /generate and vLLM /v1/completions
// answers written from each project's documentation (test/fixtures/engines/README.md), and the
// ways an answer can leave the protocol, each an ERR_INFOGAIN_SERVER naming what is wrong.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { codes } from '../dist/index.js';
import { parseGenerateAnswer, generateBody } from '../dist/engines/sglang.js';
import { parseCompletionAnswer, completionBody } from '../dist/engines/vllm.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/engines/${name}`, import.meta.url), 'utf8'));
const seq = (ids, first, shared = 0) => ({ ids: Int32Array.from(ids), first, shared });
const url = 'http://engine.test/x';

/** The ERR_INFOGAIN_SERVER a call throws, its message matching `pattern`. */
function rejects(fn, pattern) {
  assert.throws(fn, (e) => {
    assert.equal(e.code, codes.server, e.message);
    assert.equal(e.url, url);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('SGLang /generate', () => {
  test('one sequence: the leading null entry is the position before the first one read; a clipped id 0 is let through', () => {
    // logprob_start_len 2 -> entries for positions 2..5; 151935 echoed as 0 (SGLang clips ids >= vocab_size - 1)
    const s = seq([151644, 872, 1879, 3283, 311, 151935], 3);
    const got = parseGenerateAnswer(fixture('sglang-generate.json'), [s], url);
    assert.deepEqual(Array.from(got.values[0]), [-2.53125, Math.fround(-0.0412), -7.25]);
    assert.equal(got.promptTokens, 6);
    assert.equal(got.cachedTokens, 2);
  });

  test('a batch: a list of results, token texts filled in', () => {
    const got = parseGenerateAnswer(fixture('sglang-generate-batch.json'), [seq([1, 2, 12, 13], 3), seq([5, 6, 7, 8, 9], 3)], url);
    assert.deepEqual(got.values.map((v) => Array.from(v)), [[-1.5], [-0.25, -3]]);
    assert.equal(got.promptTokens, 9);
    assert.equal(got.cachedTokens, 5);
  });

  test('cached_tokens absent: nothing reported, the log-probs still read', () => {
    const a = fixture('sglang-generate.json');
    delete a.meta_info.cached_tokens;
    const got = parseGenerateAnswer(a, [seq([1, 2, 1879, 3283, 311, 0], 3)], url);
    assert.equal(got.cachedTokens, undefined);
    assert.equal(got.values[0].length, 3);
  });

  test('the request body: token ids, prefill only, logprob_start_len one before the first position read', () => {
    assert.deepEqual(generateBody([seq([4, 5, 6, 7], 2)]), { input_ids: [4, 5, 6, 7], sampling_params: { max_new_tokens: 0, temperature: 1 }, return_logprob: true, logprob_start_len: 1 });
    assert.deepEqual(generateBody([seq([4, 5, 6], 0)]), { input_ids: [4, 5, 6], sampling_params: { max_new_tokens: 0, temperature: 1 }, return_logprob: false });
    assert.deepEqual(generateBody([seq([4, 5], 1), seq([4, 9, 9], 2, 1)]).logprob_start_len, [0, 1]);
    // a batch of trunks where one is sent only to fill the cache
    const mixed = generateBody([seq([4, 5, 6], 2), seq([7, 8], 0)]);
    assert.deepEqual([mixed.return_logprob, mixed.logprob_start_len], [[true, false], [1, -1]]);
    const got = parseGenerateAnswer([{ meta_info: { input_token_logprobs: [[null, 5, null], [-1, 6, null]] } }, { meta_info: {} }], [seq([4, 5, 6], 2), seq([7, 8], 0)], url);
    assert.deepEqual(got.values.map((v) => Array.from(v)), [[-1], []]);
  });

  const one = () => [seq([151644, 872, 1879, 3283, 311, 0], 3)];
  test('answers outside the protocol', () => {
    rejects(() => parseGenerateAnswer({ text: '' }, one(), url), /result 0 has no meta_info/);
    rejects(() => parseGenerateAnswer({ meta_info: {} }, one(), url), /no meta_info.input_token_logprobs/);
    const short = fixture('sglang-generate.json');
    short.meta_info.input_token_logprobs.pop();
    rejects(() => parseGenerateAnswer(short, one(), url), /3 entries for positions \[2, 6\).*expected 4/);
    const nulled = fixture('sglang-generate.json');
    nulled.meta_info.input_token_logprobs[2][0] = null;
    rejects(() => parseGenerateAnswer(nulled, one(), url), /position 4: the log-prob is null \(NaN or infinite/);
    const shifted = fixture('sglang-generate.json');
    shifted.meta_info.input_token_logprobs[1][1] = 311;
    rejects(() => parseGenerateAnswer(shifted, one(), url), /position 3: token id 311 where 3283 was sent/);
    const flat = fixture('sglang-generate.json');
    flat.meta_info.input_token_logprobs[3] = -7.25;
    rejects(() => parseGenerateAnswer(flat, one(), url), /position 5: expected \[logprob, token_id, text\]/);
    rejects(() => parseGenerateAnswer(fixture('sglang-generate-batch.json'), one(), url), /expected a list of 1 results, got 2/);
    rejects(() => parseGenerateAnswer(fixture('sglang-generate.json'), [...one(), ...one()], url), /expected a list of 2 results, got object/);
  });
});

describe('vLLM /v1/completions', () => {
  const two = () => [seq([151644, 264, 8251], 1), seq([151644, 9707, 1879, 151935 - 151935], 1)];

  test('string token-id keys, choices put back in prompt order by index, the token read whatever its rank, -9999 kept', () => {
    const got = parseCompletionAnswer(fixture('vllm-completions.json'), two(), url);
    assert.deepEqual(got.values.map((v) => Array.from(v)), [[-2, -6.5], [-4.25, -0.5, -9999]]);
    // prompt_tokens_details null: vLLM did not say what it cached
    assert.equal(got.cachedTokens, undefined);
  });

  test('a later position read from its first one', () => {
    const got = parseCompletionAnswer(fixture('vllm-completions.json'), [seq([151644, 264, 8251], 2), seq([151644, 9707, 1879, 0], 3)], url);
    assert.deepEqual(got.values.map((v) => Array.from(v)), [[-6.5], [-9999]]);
  });

  test('cached tokens reported when prompt_tokens_details says', () => {
    const a = fixture('vllm-completions.json');
    a.usage.prompt_tokens_details = { cached_tokens: 0 };
    assert.equal(parseCompletionAnswer(a, two(), url).cachedTokens, 0);
  });

  test('the request body: token-id prompts, one token generated, prompt log-probs of the prompt tokens only', () => {
    assert.deepEqual(completionBody('m', two()), { model: 'm', prompt: [[151644, 264, 8251], [151644, 9707, 1879, 0]], max_tokens: 1, temperature: 1, prompt_logprobs: 0 });
  });

  test('answers outside the protocol', () => {
    rejects(() => parseCompletionAnswer({ object: 'text_completion' }, two(), url), /expected "choices" with 2 entries, got undefined/);
    rejects(() => parseCompletionAnswer(fixture('vllm-completions.json'), two().slice(1), url), /expected "choices" with 1 entries, got 2/);
    const none = fixture('vllm-completions.json');
    none.choices[1].prompt_logprobs = null;
    rejects(() => parseCompletionAnswer(none, two(), url), /choice 0 has no prompt_logprobs/);
    const short = fixture('vllm-completions.json');
    short.choices[0].prompt_logprobs.pop();
    rejects(() => parseCompletionAnswer(short, two(), url), /choice 1: prompt_logprobs has 3 entries for a prompt of 4 tokens/);
    const missing = fixture('vllm-completions.json');
    delete missing.choices[1].prompt_logprobs[2]['8251'];
    rejects(() => parseCompletionAnswer(missing, two(), url), /choice 0, position 2: no log-prob for the token sent \(8251\); keys \["5562"\]/);
    const hole = fixture('vllm-completions.json');
    hole.choices[0].prompt_logprobs[2] = null;
    rejects(() => parseCompletionAnswer(hole, two(), url), /choice 1, position 2: expected an object of log-probs, got null/);
    const text = fixture('vllm-completions.json');
    text.choices[1].prompt_logprobs[1]['264'].logprob = '-2.0';
    rejects(() => parseCompletionAnswer(text, two(), url), /choice 0, position 1: no log-prob for the token sent \(264\)/);
  });
});
