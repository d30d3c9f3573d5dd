// Reads every JSON response recorded in a HAR file (schemathesis --report har) with the
// TypeScript client generated from the OpenAPI document (openapi-generator typescript-fetch,
// compiled to CommonJS): the model function `<Schema>FromJSON` of the documented response
// schema must take the body. Exits 1 naming each response it could not read.
//
//   node scripts/ts_client_check.js openapi/openapi.json run.har /path/to/compiled/client

const fs = require("fs");
const path = require("path");

const [documentPath, harPath, clientDir] = process.argv.slice(2);
const api = JSON.parse(fs.readFileSync(documentPath, "utf8"));
const models = require(path.resolve(clientDir, "models", "index.js"));

const norm = (name) => name.toLowerCase().replace(/[^a-z0-9]/g, "");
// openapi-generator renames schemas that clash with its reserved words.
const renamed = { Field: "ModelField" };
const readers = {};
for (const [name, fn] of Object.entries(models)) {
  if (name.endsWith("FromJSON") && typeof fn === "function") {
    readers[norm(name.slice(0, -"FromJSON".length))] = fn;
  }
}
const reader = (ref) => {
  const name = ref.split("/").pop();
  return readers[norm(renamed[name] || name)];
};

// Static paths win over templated ones, as in routing.
const routes = Object.entries(api.paths)
  .map(([template, item]) => ({
    pattern: new RegExp("^" + template.replace(/\{[^}]+\}/g, "[^/]+") + "$"),
    templated: template.includes("{"),
    item,
  }))
  .sort((a, b) => a.templated - b.templated);

const entries = JSON.parse(fs.readFileSync(harPath, "utf8")).log.entries;
let read = 0;
const failures = [];
for (const entry of entries) {
  const url = new URL(entry.request.url);
  const route = routes.find((r) => r.pattern.test(url.pathname));
  const operation = route && route.item[entry.request.method.toLowerCase()];
  const status = String(entry.response.status);
  const documented = operation && (operation.responses[status] || operation.responses.default);
  const schema = documented && documented.content && documented.content["application/json"]
    && documented.content["application/json"].schema;
  const text = entry.response.content && entry.response.content.text;
  if (!schema || !text || !(entry.response.content.mimeType || "").includes("json")) continue;
  let fn;
  let items;
  const body = JSON.parse(text);
  if (schema.$ref) {
    fn = reader(schema.$ref);
    items = [body];
  } else if (schema.type === "array" && schema.items && schema.items.$ref) {
    fn = reader(schema.items.$ref);
    items = body;
  }
  if (!fn) continue;
  for (const item of items) {
    try {
      const value = fn(item);
      if (value === undefined || value === null) throw new Error("nothing was read");
      read += 1;
    } catch (e) {
      failures.push(`${entry.request.method} ${url.pathname} ${status}: ${e.message}`);
    }
  }
}
console.log(`TypeScript client: read ${read} response bodies, ${failures.length} failed`);
for (const failure of [...new Set(failures)].slice(0, 50)) console.log(`  ${failure}`);
process.exit(failures.length === 0 && read > 0 ? 0 : 1);
