// Netspace ONE Partners Portal (netspace-mock): the Integration page's endpoint tester. It reads the /api
// routes from the mock's own /openapi.json, signs a request here with Web Crypto (HMAC-SHA256 over
// TIMESTAMP + METHOD + PATH + BODY, the body exactly as sent) and shows what went out and what came back.
// The secret key is read from the page at the moment of signing and kept nowhere: not stored, not sent.
(function () {
  "use strict";

  var root = document.getElementById("endpoint-tester");
  if (!root) return;
  var el = function (id) { return document.getElementById(id); };
  var routeSelect = el("tester-route");
  var paramsBox = el("tester-params");
  var bodyBox = el("tester-body");
  var subtle = window.isSecureContext && window.crypto && window.crypto.subtle;
  var encoder = new TextEncoder();
  var operations = {}; // "METHOD /path" -> {method, path, op}
  // Ids the platform gave in answers to this page's POSTs, put in place of the examples' ids.
  var remembered = {};
  var REMEMBERED = ["session_id", "round_id", "netspace_free_bet_id"];
  var PATH_IDS = { roundId: "round_id", runId: "run_id" };
  var pending = null; // without Web Crypto: the prepared request, waiting for a pasted signature

  function show(node, on) { node.hidden = !on; }

  function freshSessionId() {
    var bytes = window.crypto.getRandomValues(new Uint8Array(8));
    return "sess_" + hex(bytes);
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function load(doc) {
    var groups = {};
    routeSelect.textContent = "";
    Object.keys(doc.paths).forEach(function (path) {
      if (path.indexOf("/api/") !== 0) return;
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var key = method.toUpperCase() + " " + path;
        var tag = (op.tags && op.tags[0]) || "api";
        operations[key] = { method: method.toUpperCase(), path: path, op: op };
        if (!groups[tag]) {
          groups[tag] = document.createElement("optgroup");
          groups[tag].label = tag;
          routeSelect.appendChild(groups[tag]);
        }
        var option = document.createElement("option");
        option.value = key;
        option.textContent = key;
        groups[tag].appendChild(option);
      });
    });
    fill();
  }

  function current() { return operations[routeSelect.value]; }

  function bodyExample(op) {
    var content = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
    return content && content.example !== undefined ? JSON.parse(JSON.stringify(content.example)) : null;
  }

  // The form of the chosen route: its parameters and its body example, with earlier answers' ids.
  function fill() {
    var entry = current();
    if (!entry) return;
    var filled = [];
    el("tester-summary").textContent = entry.op.summary || "";
    paramsBox.textContent = "";
    (entry.op.parameters || []).forEach(function (p) {
      if (p.in !== "path" && p.in !== "query") return;
      var known = remembered[PATH_IDS[p.name] || p.name];
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.dataset.in = p.in;
      input.dataset.name = p.name;
      input.spellcheck = false;
      input.required = !!p.required;
      if (p.example !== undefined) input.placeholder = String(p.example);
      if (p.in === "path" || p.required) input.value = known || (p.example !== undefined ? String(p.example) : "");
      if (known && input.value === known) filled.push(p.name + " " + known);
      label.append(p.name + (p.in === "query" ? " (query" + (p.required ? ")" : ", optional)") : " (path)"), input);
      paramsBox.appendChild(label);
    });
    var example = bodyExample(entry.op);
    if (example && typeof example === "object") {
      Object.keys(example).forEach(function (key) {
        if (key === "session_id" && /\/launch$/.test(entry.path)) {
          example[key] = freshSessionId(); // every launch is a session of its own
        } else if (REMEMBERED.indexOf(key) >= 0 && remembered[key]) {
          example[key] = remembered[key];
          filled.push(key + " " + remembered[key]);
        }
      });
    }
    var takesBody = !!entry.op.requestBody;
    bodyBox.disabled = !takesBody;
    bodyBox.value = example === null ? "" : JSON.stringify(example);
    bodyBox.placeholder = takesBody ? "" : "(this route takes no body: the empty string is signed)";
    el("tester-filled").textContent = filled.length
      ? "From your earlier answers: " + filled.join(", ") + "."
      : "";
    show(el("tester-filled"), filled.length > 0);
  }

  function prepare() {
    var entry = current();
    var path = entry.path;
    var query = new URLSearchParams();
    var missing = [];
    paramsBox.querySelectorAll("input").forEach(function (input) {
      var value = input.value;
      if (input.required && value === "") missing.push(input.dataset.name);
      if (input.dataset.in === "path") path = path.replace("{" + input.dataset.name + "}", encodeURIComponent(value));
      else if (value !== "") query.append(input.dataset.name, value);
    });
    if (missing.length) throw new Error("Fill in " + missing.join(", ") + " first.");
    var qs = query.toString();
    var target = path + (qs ? "?" + qs : "");
    var body = bodyBox.disabled ? "" : bodyBox.value;
    var signQuery = el("tester-sign-path").value === "path_qs"; // the path alone is the strict form
    var signed = signQuery ? target : path;
    var timestamp = String(Math.floor(Date.now() / 1000));
    return {
      method: entry.method,
      target: target,
      body: body,
      timestamp: timestamp,
      stringToSign: timestamp + entry.method + signed + body,
      signQuery: signQuery,
      apiKey: el("api-key").textContent,
    };
  }

  function hmac(secret, text) {
    return subtle
      .importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      .then(function (key) { return subtle.sign("HMAC", key, encoder.encode(text)); })
      .then(function (mac) { return hex(new Uint8Array(mac)); });
  }

  function headersOf(request, signature) {
    var headers = { "X-API-Key": request.apiKey, "X-Timestamp": request.timestamp, "X-Signature": signature };
    if (request.body !== "") headers["Content-Type"] = "application/json";
    return headers;
  }

  function showRequest(request, headers) {
    var lines = [request.method + " " + request.target];
    Object.keys(headers).forEach(function (name) { lines.push(name + ": " + headers[name]); });
    el("tester-request").textContent = lines.join("\n") + (request.body !== "" ? "\n\n" + request.body : "");
    el("tester-sts").textContent = request.stringToSign;
    show(el("tester-result"), true);
  }

  function quote(text) { return "'" + text.replace(/'/g, "'\\''") + "'"; }

  function showCommand(request) {
    var words = ["netspace-mock sign --public-url", quote(location.origin), "--api-key", quote(request.apiKey),
      "--timestamp", request.timestamp].concat(request.signQuery ? ["--sign-query"] : [])
      .concat([request.method, quote(request.target)]);
    if (request.body !== "") words.push(quote(request.body));
    el("tester-command").textContent = words.join(" ");
  }

  function send(request, signature) {
    var headers = headersOf(request, signature);
    showRequest(request, headers);
    var init = { method: request.method, headers: headers, credentials: "omit", cache: "no-store" };
    if (request.method !== "GET" && request.method !== "HEAD") init.body = request.body;
    return fetch(request.target, init).then(function (response) {
      return response.text().then(function (text) { answer(request, response, text); });
    });
  }

  function answer(request, response, text) {
    var parsed = null;
    try { parsed = JSON.parse(text); } catch (e) { parsed = null; }
    var status = el("tester-status");
    status.textContent = response.status + " " + response.statusText;
    status.className = "badge " + (response.ok ? "badge-passed" : "badge-failed");
    el("tester-answer").textContent = parsed === null ? text : JSON.stringify(parsed, null, 2);
    // The browser joins repeated header lines with ", ": several warnings arrive as one value.
    var warning = response.headers.get("X-Netspace-Mock-Warning");
    var list = el("tester-warning-list");
    list.textContent = "";
    if (warning) {
      var item = document.createElement("li");
      item.textContent = warning;
      list.appendChild(item);
    }
    show(el("tester-warnings"), !!warning);
    var details = parsed && parsed.error && parsed.error.details;
    var diagnosis = el("tester-diagnosis");
    if (details && typeof details.string_to_sign === "string") {
      diagnosis.textContent = details.string_to_sign === request.stringToSign
        ? "The mock signed the same string to sign as this page: the secret key is what differs."
        : "The mock signed another string to sign than this page (error.details.string_to_sign): compare them.";
    }
    show(diagnosis, !!(details && typeof details.string_to_sign === "string"));
    if (response.ok && parsed && request.method === "POST") remember(parsed);
    show(el("tester-answer-block"), true);
  }

  // The answer's own ids (`session_id`, `round.round_id`, `free_bet.netspace_free_bet_id`, `run.id`): two
  // levels deep and never inside a list, where a run's steps hold the ids of its own test calls.
  function remember(parsed) {
    if (parsed.run && typeof parsed.run.id === "string") remembered.run_id = parsed.run.id;
    (function walk(node, depth) {
      if (!node || typeof node !== "object" || Array.isArray(node) || depth > 2) return;
      Object.keys(node).forEach(function (key) {
        var value = node[key];
        if (REMEMBERED.indexOf(key) >= 0 && typeof value === "string") remembered[key] = value;
        else walk(value, depth + 1);
      });
    })(parsed, 1);
  }

  function failed(error) {
    show(el("tester-result"), true);
    show(el("tester-answer-block"), true);
    el("tester-status").textContent = "not sent";
    el("tester-status").className = "badge badge-failed";
    el("tester-answer").textContent = String(error && error.message ? error.message : error);
    show(el("tester-warnings"), false);
    show(el("tester-diagnosis"), false);
  }

  el("tester-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var request;
    try { request = prepare(); } catch (error) { failed(error); return; }
    show(el("tester-answer-block"), false);
    if (!subtle) {
      pending = request;
      showRequest(request, headersOf(request, "(from the command below)"));
      showCommand(request);
      show(el("tester-manual"), true);
      return;
    }
    var secret = el("tester-secret").value || el("secret-key").textContent;
    hmac(secret, request.stringToSign).then(function (signature) { return send(request, signature); }).catch(failed);
  });

  el("tester-send-signed").addEventListener("click", function () {
    var signature = el("tester-signature").value.trim();
    if (!pending) return;
    if (!/^[0-9a-fA-F]{64}$/.test(signature)) { failed(new Error("X-Signature is 64 hex characters.")); return; }
    send(pending, signature).catch(failed);
  });

  routeSelect.addEventListener("change", fill);
  el("tester-example").addEventListener("click", fill);
  show(el("tester-no-crypto"), !subtle);

  fetch(root.getAttribute("data-openapi-url"), { credentials: "omit", cache: "no-store" })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(load)
    .catch(function (error) {
      routeSelect.textContent = "";
      var option = document.createElement("option");
      option.textContent = "The routes could not be read from /openapi.json (" + error.message + ")";
      routeSelect.appendChild(option);
    });
})();
