// The guide's JavaScript quick start, on Node 18+, against netspace-mock:
//
//   NETSPACE_API_URL=http://127.0.0.1:8080 node examples/quickstarts/javascript/quickstart.mjs
//
// The guide's code is written for a browser page that loaded the SDK with a <script> tag and has an
// element with id "game-container". Around it, this file does what that page would: it loads the SDK the
// mock serves (GET /sdk/netspace-sdk.js, as the guide's <script src>), and gives the code a page with that
// one element, then prints the iframe's address. The guide's code itself is unchanged; the SDK reads the
// base URL from NETSPACE_API_URL.
import { createRequire } from 'node:module';

const base = process.env.NETSPACE_API_URL || 'https://api.netspace.one';
const served = await fetch(new URL('/sdk/netspace-sdk.js', base));
if (!served.ok) throw new Error(`GET ${base}/sdk/netspace-sdk.js answered ${served.status}`);
const loaded = { exports: {} };
new Function('module', 'require', await served.text())(loaded, createRequire(import.meta.url));
const NetspaceSDK = loaded.exports; // what the <script> tag defines as window.NetspaceSDK

// The page: the element the game is shown in, and just enough of `document` to make an iframe in it.
const container = {
  id: 'game-container',
  children: [],
  appendChild(child) { this.children.push(child); child.parentNode = this; },
};
globalThis.document = {
  getElementById: (id) => (id === container.id ? container : null),
  createElement: (tag) => ({
    tagName: tag.toUpperCase(), style: {}, attributes: {},
    setAttribute(name, value) { this.attributes[name] = value; },
  }),
};

// ---- the guide's quick start, as printed ----
const netspace = new NetspaceSDK.NetspaceSDK({
  apiKey: 'your-api-key',
  secretKey: 'your-secret-key'
});

const session = await netspace.launchGame({
  sessionId: 'session-123',
  playerId: 'player-456',
  gameId: 'lotterix',
  currency: 'USD',
  clientIp: '192.168.1.1'
});

netspace.openInIframe('game-container', session.game_url);
// ---- end of the guide's quick start ----

console.log(`iframe: ${container.children.map((frame) => frame.src).join(', ')}`);
