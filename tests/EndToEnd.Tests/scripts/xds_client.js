#!/usr/bin/env node
/*
 * A real proxyless gRPC xDS client driven over stdin, for the end-to-end tests: the Node.js twin
 * of xds_client.py, on @grpc/grpc-js + @grpc/grpc-js-xds (pure JS, with RING_HASH, which the
 * Debian C-core 1.51 behind xds_client.py cannot take).
 *
 * It writes (or uses) an xDS bootstrap, points GRPC_XDS_BOOTSTRAP at it *before* loading
 * grpc-js-xds, opens ONE channel to the xds:/// target and keeps it for its whole life, so every
 * command observes what the same xDS client learned over the same ADS stream.
 *
 * Commands, one per line on stdin; each answer is one JSON line on stdout (the same protocol and
 * the same JSON text as xds_client.py; the first line is {"started": true}):
 *   count N [B] [NAME=VALUE ...]
 *                N unary calls to /mesh.test.Echo/Who, one after the other (2 s timeout each);
 *                with B, start no new call after B seconds and answer with "incomplete": true;
 *                each NAME=VALUE is sent as request metadata (a header) on every call, NAME in
 *                lowercase
 *                -> {"counts": {backend: n}, "errors": {status_code: n},
 *                    "error_details": {status_code: last detail}, "incomplete": bool}
 *   concurrent N [NAME=VALUE ...]
 *                N unary calls started all at once (all in flight together, 2 s timeout each),
 *                answered when every one has finished; metadata as for count
 *                -> the same shape as count, "incomplete" always false
 *   ready SECS   wait up to SECS for the channel to be READY
 *                -> {"ready": bool, "state": "READY"|...}
 *   quit         exit
 * Exits when stdin closes. Diagnostics go to stderr.
 *
 * Options (as xds_client.py): --target T (required), --xds-port N, --bootstrap PATH,
 * --node-id ID, --namespace NS, --label KEY=VALUE (repeatable), --locality REGION/ZONE/SUBZONE.
 *
 * Run with node >= 18 and the packages of package.json beside this file installed elsewhere, e.g.
 *   npm ci --prefix /tmp/mesh-e2e-node     (with package.json and package-lock.json copied there)
 *   NODE_PATH=/tmp/mesh-e2e-node/node_modules node xds_client.js --target ... --xds-port ...
 * GRPC_TRACE (e.g. xds_client,xds_resolver) and GRPC_VERBOSITY=DEBUG give grpc-js's own traces.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const readline = require('readline');

const METHOD = '/mesh.test.Echo/Who';
const RPC_TIMEOUT_MS = 2000;
const DEFAULT_NODE_ID = 'sidecar~127.0.0.1~client-1.default~default.svc.cluster.local';

function log(message) {
  process.stderr.write(`xds_client.js: ${message}\n`);
}

// ---- JSON exactly as Python's json.dumps(value, sort_keys=True) writes it -------------------

function pyJsonString(s) {
  // JSON.stringify escapes '"', '\\' and control characters as Python does; Python (ensure_ascii)
  // also escapes DEL and every non-ASCII UTF-16 unit as \uXXXX.
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function pyJson(value) {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  }
  if (typeof value === 'string') {
    return pyJsonString(value);
  }
  if (Array.isArray(value)) {
    return '[' + value.map(pyJson).join(', ') + ']';
  }
  const keys = Object.keys(value).sort();
  return '{' + keys.map((k) => `${pyJsonString(k)}: ${pyJson(value[k])}`).join(', ') + '}';
}

function answer(value) {
  process.stdout.write(pyJson(value) + '\n');
}

/** Python's repr() of a str, for error texts that match xds_client.py's. */
function pyRepr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of s) {
    const code = c.codePointAt(0);
    if (c === '\\' || c === quote) out += '\\' + c;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += c;
  }
  return out + quote;
}

// ---- Python's int() and float() on a command argument ---------------------------------------

class ValueError extends Error {}

function pyInt(text) {
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(text)) {
    throw new ValueError(`invalid literal for int() with base 10: ${pyRepr(text)}`);
  }
  return Number.parseInt(text.replace(/_/g, ''), 10);
}

function pyFloat(text) {
  const t = text.trim().replace(/(\d)_(?=\d)/g, '$1');
  if (/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/.test(t)) {
    return Number(t);
  }
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  throw new ValueError(`could not convert string to float: ${pyRepr(text)}`);
}

/** NAME=VALUE pairs, NAME non-empty and lowercase. */
function parseMetadata(options) {
  const metadata = [];
  for (const option of options) {
    const sep = option.indexOf('=');
    const name = sep < 0 ? '' : option.slice(0, sep);
    const value = sep < 0 ? '' : option.slice(sep + 1);
    if (sep < 0 || !name || name !== name.toLowerCase()) {
      throw new ValueError(`expected NAME=VALUE with a lowercase NAME, got ${pyRepr(option)}`);
    }
    metadata.push([name, value]);
  }
  return metadata;
}

/** The optional budget B (first, no '=') and the NAME=VALUE metadata pairs of a count command. */
function parseCountOptions(options) {
  let budget = null;
  if (options.length > 0 && !options[0].includes('=')) {
    budget = pyFloat(options[0]);
    options = options.slice(1);
  }
  return [budget, parseMetadata(options)];
}

// ---- Arguments and bootstrap (as xds_client.py's argparse) ----------------------------------

const USAGE = 'usage: xds_client.js [-h] --target TARGET [--xds-port XDS_PORT] [--bootstrap BOOTSTRAP]\n' +
  '                     [--node-id NODE_ID] [--namespace NAMESPACE] [--label LABEL] [--locality LOCALITY]';

function usageError(message) {
  process.stderr.write(`${USAGE}\nxds_client.js: error: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { target: null, xdsPort: null, bootstrap: null, nodeId: DEFAULT_NODE_ID, namespace: 'default', label: [], locality: null };
  const options = {
    '--target': 'target', '--xds-port': 'xdsPort', '--bootstrap': 'bootstrap',
    '--node-id': 'nodeId', '--namespace': 'namespace', '--label': 'label', '--locality': 'locality',
  };
  for (let i = 0; i < argv.length; i++) {
    let option = argv[i];
    let value;
    if (option === '-h' || option === '--help') {
      process.stdout.write(`${USAGE}\n\nA proxyless gRPC xDS client driven over stdin; see the comment at the top of xds_client.js.\n`);
      process.exit(0);
    }
    const eq = option.indexOf('=');
    if (option.startsWith('--') && eq > 0) {
      value = option.slice(eq + 1);
      option = option.slice(0, eq);
    }
    const key = options[option];
    if (!key) {
      usageError(`unrecognized arguments: ${argv[i]}`);
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) {
        usageError(`argument ${option}: expected one argument`);
      }
      value = argv[++i];
    }
    if (key === 'label') {
      args.label.push(value);
    } else if (key === 'xdsPort') {
      if (!/^\s*[+-]?\d+\s*$/.test(value)) {
        usageError(`argument --xds-port: invalid int value: ${pyRepr(value)}`);
      }
      args.xdsPort = Number.parseInt(value, 10);
    } else {
      args[key] = value;
    }
  }
  if (args.target === null) {
    usageError('the following arguments are required: --target');
  }
  if (args.xdsPort === null && !args.bootstrap) {
    usageError('give --xds-port (and optionally --bootstrap PATH to write), or --bootstrap PATH to use');
  }
  return args;
}

function localityOf(text) {
  const locality = {};
  (text || '').split('/').forEach((part, i) => {
    if (part && i < 3) {
      locality[['region', 'zone', 'sub_zone'][i]] = part;
    }
  });
  return locality;
}

function writeBootstrap(args) {
  const bootstrap = {
    xds_servers: [{
      server_uri: `127.0.0.1:${args.xdsPort}`,
      channel_creds: [{ type: 'insecure' }],
      server_features: ['xds_v3'],
    }],
    node: {
      id: args.nodeId,
      // grpc-js-xds (1.14) rejects a bootstrap whose node has no locality ("locality field
      // missing in node element"); C-core does not need it. Empty unless --locality REGION/ZONE/SUBZONE.
      locality: localityOf(args.locality),
      metadata: { GENERATOR: 'grpc', NAMESPACE: args.namespace },
    },
  };
  if (args.label.length > 0) {
    const labels = {};
    for (const label of args.label) {
      const sep = label.indexOf('=');
      if (sep < 0) {
        usageError(`--label: expected KEY=VALUE, got ${pyRepr(label)}`);
      }
      labels[label.slice(0, sep)] = label.slice(sep + 1);
    }
    bootstrap.node.metadata.LABELS = labels;
  }
  const file = args.bootstrap
    || path.join(os.tmpdir(), `xds-bootstrap-${crypto.randomBytes(6).toString('hex')}.json`);
  fs.writeFileSync(file, JSON.stringify(bootstrap, null, 2), { encoding: 'utf-8', mode: 0o600 });
  return file;
}

// ---- The client ------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const bootstrapPath = args.xdsPort !== null ? writeBootstrap(args) : args.bootstrap;
  process.env.GRPC_XDS_BOOTSTRAP = bootstrapPath;
  log(`bootstrap ${bootstrapPath}, target ${args.target}`);

  // Loaded only now: the bootstrap env var must be set first (grpc-js-xds reads it lazily, but
  // the order keeps that true whatever a version does at load time).
  const grpc = require('@grpc/grpc-js');
  const grpcXds = require('@grpc/grpc-js-xds');
  grpcXds.register();
  log(`@grpc/grpc-js ${packageVersion('@grpc/grpc-js')}, @grpc/grpc-js-xds ${packageVersion('@grpc/grpc-js-xds')}, node ${process.version}`);
  checkBootstrap();

  // The unary method with raw bytes both ways: identity serializers, no protoc, no .proto.
  const identity = (buffer) => buffer;
  const EchoClient = grpc.makeGenericClientConstructor({
    Who: {
      path: METHOD,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'who',
    },
  }, 'mesh.test.Echo');
  const client = new EchoClient(args.target, grpc.credentials.createInsecure());
  const channel = client.getChannel();
  const stateName = (state) => grpc.connectivityState[state] || String(state);

  let closing = false;
  const watchState = (state) => {
    if (closing || state === grpc.connectivityState.SHUTDOWN) {
      return;
    }
    try {
      channel.watchConnectivityState(state, Infinity, () => {
        if (closing) return;
        const next = channel.getConnectivityState(false);
        log(`channel state ${stateName(next)}`);
        watchState(next);
      });
    } catch (e) {
      // The channel was closed in between.
    }
  };
  const initial = channel.getConnectivityState(true); // try to connect, as Python's subscribe(try_to_connect=True)
  log(`channel state ${stateName(initial)}`);
  watchState(initial);

  const makeMetadata = (pairs) => {
    const metadata = new grpc.Metadata();
    for (const [name, value] of pairs) {
      try {
        metadata.add(name, name.endsWith('-bin') ? Buffer.from(value, 'utf-8') : value);
      } catch (e) {
        throw new ValueError(`metadata ${pyRepr(name)}: ${e.message}`);
      }
    }
    return metadata;
  };

  /** One call; resolves to {name} or {code, details}, never rejects. */
  const who = (metadata) => new Promise((resolve) => {
    client.Who(Buffer.alloc(0), metadata, { deadline: new Date(Date.now() + RPC_TIMEOUT_MS) }, (err, response) => {
      if (err) {
        const code = typeof err.code === 'number' && grpc.status[err.code] !== undefined ? grpc.status[err.code] : 'UNKNOWN';
        resolve({ code, details: err.details !== undefined ? err.details : err.message });
      } else {
        resolve({ name: Buffer.from(response).toString('utf-8') });
      }
    });
  });

  const tally = (results, incomplete) => {
    const counts = {};
    const errors = {};
    const details = {};
    for (const r of results) {
      if (r.name !== undefined) {
        counts[r.name] = (counts[r.name] || 0) + 1;
      } else {
        errors[r.code] = (errors[r.code] || 0) + 1;
        details[r.code] = r.details;
      }
    }
    if (Object.keys(errors).length > 0) {
      log(`errors ${JSON.stringify(errors)}: ${JSON.stringify(details)}`);
    }
    return { counts, errors, error_details: details, incomplete };
  };

  const count = async (n, budget, pairs) => {
    const metadata = makeMetadata(pairs);
    const started = process.hrtime.bigint();
    const results = [];
    let incomplete = false;
    for (let i = 0; i < n; i++) {
      if (budget !== null && Number(process.hrtime.bigint() - started) / 1e9 >= budget) {
        incomplete = true;
        break;
      }
      results.push(await who(metadata));
    }
    return tally(results, incomplete);
  };

  const concurrent = async (n, pairs) => {
    const metadata = makeMetadata(pairs);
    const calls = [];
    for (let i = 0; i < n; i++) {
      calls.push(who(metadata));
    }
    return tally(await Promise.all(calls), false);
  };

  const ready = (seconds) => new Promise((resolve) => {
    const deadline = Number.isFinite(seconds) ? new Date(Date.now() + Math.max(0, seconds) * 1000) : Infinity;
    client.waitForReady(deadline, (err) => {
      resolve(err ? { ready: false, state: 'NOT_READY' } : { ready: true, state: 'READY' });
    });
  });

  answer({ started: true });
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of lines) {
    const parts = line.split(/\s+/).filter((p) => p.length > 0);
    if (parts.length === 0) {
      continue;
    }
    const command = parts[0];
    let result;
    try {
      if (command === 'count' && parts.length >= 2) {
        const n = pyInt(parts[1]);
        const [budget, pairs] = parseCountOptions(parts.slice(2));
        result = await count(n, budget, pairs);
      } else if (command === 'concurrent' && parts.length >= 2) {
        const n = pyInt(parts[1]);
        result = await concurrent(n, parseMetadata(parts.slice(2)));
      } else if (command === 'ready' && parts.length === 2) {
        result = await ready(pyFloat(parts[1]));
      } else if (command === 'quit') {
        break;
      } else {
        result = { error: `unknown command ${pyRepr(line.trim())}` };
      }
    } catch (e) {
      if (!(e instanceof ValueError)) {
        throw e;
      }
      result = { error: `bad argument in ${pyRepr(line.trim())}: ${e.message}` };
    }
    answer(result);
  }

  closing = true;
  lines.close();
  client.close();
  log('exiting');
  // The xDS client's ADS stream and timers would keep node alive; stdout and stderr are pipes or
  // files, written synchronously on Linux, so nothing is lost.
  process.exit(0);
}

/**
 * grpc-js-xds reads the bootstrap only when the channel first resolves, and on a bad one its
 * resolver fails every call with "Cannot read properties of null (reading
 * 'clientDefaultListenerResourceNameTemplate')", hiding the real reason: say it on stderr now.
 * (The module is internal to grpc-js-xds; if a version moves it, this check just says so.)
 */
function checkBootstrap() {
  let bootstrapModule;
  try {
    bootstrapModule = require('@grpc/grpc-js-xds/build/src/xds-bootstrap');
  } catch (e) {
    log(`cannot check the bootstrap (no @grpc/grpc-js-xds/build/src/xds-bootstrap): ${e.message}`);
    return;
  }
  try {
    bootstrapModule.loadBootstrapInfo();
  } catch (e) {
    log(`BAD BOOTSTRAP, every call will fail: ${e.message}`);
  }
}

function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch (e) {
    return '?';
  }
}

main().catch((e) => {
  log(`fatal: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
