// The mock driven by the official Node SDK (npm `openai`): chat, stream, tools, embeddings,
// files, responses. Run by tests/mock/test_node_sdk.py: node scenario.mjs BASE_URL KEY.
// Prints one JSON object of what each step saw; the Python test judges it.
import OpenAI, { toFile } from "openai";

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const hello = [{ role: "user", content: "hi" }];
const seen = {};

const chat = await client.chat.completions.create({ model: "gpt-5.4", messages: hello, max_tokens: 10 });
seen.chat = { content: chat.choices[0].message.content, finish: chat.choices[0].finish_reason };

const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: hello, seed: 3, stream: true });
let joined = "";
for await (const chunk of stream) joined += chunk.choices[0]?.delta?.content ?? "";
const plain = await client.chat.completions.create({ model: "gpt-4o-mini", messages: hello, seed: 3 });
seen.stream = { joined, plain: plain.choices[0].message.content };

const runner = client.chat.completions.stream({ model: "gpt-4o-mini", messages: hello, max_tokens: 10 });
const final = await runner.finalChatCompletion();
seen.streamHelper = { content: final.choices[0].message.content };

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const tools = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Weather in Oslo?" }],
  tools: [weather],
});
const call = tools.choices[0].message.tool_calls[0];
seen.tools = { name: call.function.name, arguments: JSON.parse(call.function.arguments) };

const floats = await client.embeddings.create({ model: "text-embedding-3-small", input: "hi", encoding_format: "float" });
const decoded = await client.embeddings.create({ model: "text-embedding-3-small", input: "hi" }); // base64, decoded by the SDK
seen.embeddings = {
  length: floats.data[0].embedding.length,
  same: floats.data[0].embedding.every((v, i) => v === decoded.data[0].embedding[i]),
};

const ids = [];
for (const n of [0, 1, 2]) {
  const file = await client.files.create({ file: await toFile(Buffer.from(`note ${n}`), `n${n}.txt`), purpose: "user_data" });
  ids.push(file.id);
}
const asc = [];
for await (const file of client.files.list({ order: "asc" })) asc.push(file.id);
const content = await (await client.files.content(ids[1])).text();
seen.files = { ids, asc, content };

const response = await client.responses.create({ model: "gpt-4o-mini", input: "hi" });
let deltas = "";
const events = await client.responses.create({ model: "gpt-4o-mini", input: "hi", stream: true });
for await (const event of events) if (event.type === "response.output_text.delta") deltas += event.delta;
seen.responses = { text: response.output_text, status: response.status, streamed: deltas };

try {
  await client.chat.completions.create({ model: "no-such-model", messages: hello });
  seen.error = null;
} catch (error) {
  seen.error = { name: error.constructor.name, status: error.status, code: error.code };
}

console.log(JSON.stringify(seen));
