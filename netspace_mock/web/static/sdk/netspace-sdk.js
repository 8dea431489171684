/*
 * netspace-sdk.js: the Netspace ONE JavaScript SDK, as served by netspace-mock at GET /sdk/netspace-sdk.js.
 *
 * No dependencies. Works as a CommonJS module in Node 18+ and as a plain <script> in a browser:
 *
 *   Node:     const NetspaceSDK = require('./netspace-sdk.js');
 *   Browser:  <script src="/sdk/netspace-sdk.js"></script>   (defines window.NetspaceSDK)
 *
 *   const netspace = new NetspaceSDK.NetspaceSDK({
 *     apiKey: 'sandbox-api-key',
 *     secretKey: 'sandbox-secret-key',
 *     baseUrl: '<the address netspace-mock listens on>'   // default: NETSPACE_API_URL, else the platform
 *   });
 *   const session = await netspace.launchGame({ sessionId: 'session-123', playerId: 'player-456',
 *                                               gameId: 'lotterix', currency: 'USD', clientIp: '192.168.1.1' });
 *   netspace.openInIframe('game-container', session.game_url);   // browser only
 *
 * Without baseUrl the SDK reads the environment variable NETSPACE_API_URL (Node) or a global
 * NETSPACE_API_URL (a browser page: set window.NETSPACE_API_URL before the script), so the guide's quick
 * start runs unchanged against a mock. Parameters may be given camelCase (as the guide's launchGame) or
 * snake_case (as the guide's request bodies): assignFreeBet({operator_free_bet_id, player_id,
 * free_bets: {amount, currency, expires_at}}) and assignFreeBet({operatorFreeBetId, playerId, amount,
 * currency, expiresAt}) send the same request.
 *
 * Every method is async, resolves to the parsed answer ({success: true, ...}) and rejects with a
 * NetspaceError carrying the error envelope's code, message and details plus the HTTP status.
 *
 * The secret key signs requests: keep it on your server. In a browser page it is visible to every
 * player, which is acceptable only against a local sandbox such as netspace-mock.
 */
(function (root, factory) {
  'use strict';
  var api = factory();
  if (typeof module === 'object' && module && module.exports) {
    module.exports = api; // Node / CommonJS: require() returns { NetspaceSDK, NetspaceError, ... }
  } else {
    root.NetspaceSDK = api; // browser <script>: window.NetspaceSDK.NetspaceSDK, as the guide writes it
  }
})(typeof globalThis !== 'undefined' ? globalThis : typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var VERSION = '1.0.0-mock';
  var DEFAULT_BASE_URL = 'https://api.netspace.one';
  var DEFAULT_TIMEOUT_MS = 30000;

  var isNode =
    typeof process !== 'undefined' &&
    process.versions != null &&
    process.versions.node != null &&
    typeof require === 'function';

  /** An error answer of the API (or a failure to reach it), with the envelope's fields. */
  class NetspaceError extends Error {
    constructor(code, message, status, details) {
      super(message);
      this.name = 'NetspaceError';
      this.code = code; // e.g. NOT_FOUND, UNAUTHORIZED, INVALID_REQUEST
      this.status = status; // HTTP status; 0 when no answer arrived
      this.details = details || {};
    }

    toString() {
      return this.name + ': ' + this.code + ' (' + this.status + '): ' + this.message;
    }
  }

  // ---- signing --------------------------------------------------------------------------------

  function toHex(buffer) {
    return Array.prototype.map
      .call(new Uint8Array(buffer), function (b) {
        return (b < 16 ? '0' : '') + b.toString(16);
      })
      .join('');
  }

  /** Hex HMAC-SHA256 of a string (both sides taken as UTF-8). */
  async function hmacSha256Hex(secret, message) {
    if (isNode) {
      var nodeCrypto = require('crypto');
      return nodeCrypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(message, 'utf8').digest('hex');
    }
    var webCrypto = typeof crypto !== 'undefined' ? crypto : null;
    if (!webCrypto || !webCrypto.subtle) {
      throw new Error(
        'netspace-sdk: crypto.subtle is not available, so requests cannot be signed. Browsers offer it ' +
          'only to secure contexts: serve the page over TLS, or from localhost.'
      );
    }
    var encoder = new TextEncoder();
    var key = await webCrypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign']
    );
    return toHex(await webCrypto.subtle.sign('HMAC', key, encoder.encode(message)));
  }

  /*
   * Query strings and path segments are percent-encoded strictly (RFC 3986: everything but
   * A-Z a-z 0-9 - _ . ~). The PATH that is signed is the one sent, character for character, and a
   * strictly encoded string is one that fetch()'s URL parser leaves exactly as it is; looser encoders
   * (encodeURIComponent leaves ' ! ( ) *) could be re-encoded on the way out and break the signature.
   */
  function encode(value) {
    return encodeURIComponent(String(value)).replace(/[!'()*]/g, function (c) {
      return '%' + c.charCodeAt(0).toString(16).toUpperCase();
    });
  }

  function queryString(params) {
    var parts = [];
    Object.keys(params).forEach(function (name) {
      var value = params[name];
      if (value !== undefined && value !== null) parts.push(encode(name) + '=' + encode(value));
    });
    return parts.length ? '?' + parts.join('&') : '';
  }

  /** The environment's base URL: NETSPACE_API_URL of the process (Node) or of the page (a global). */
  function environmentBaseUrl() {
    if (isNode && process.env && process.env.NETSPACE_API_URL) return process.env.NETSPACE_API_URL;
    var root = typeof globalThis !== 'undefined' ? globalThis : typeof self !== 'undefined' ? self : {};
    return typeof root.NETSPACE_API_URL === 'string' && root.NETSPACE_API_URL ? root.NETSPACE_API_URL : null;
  }

  /** A parameter given camelCase (the guide's launchGame) or snake_case (the guide's request bodies). */
  function pick(params, camel, snake) {
    if (!params) return undefined;
    return params[camel] !== undefined && params[camel] !== null ? params[camel] : params[snake];
  }

  /** An id given as itself or inside an object, e.g. getFreeBetStatus({ netspace_free_bet_id }). */
  function idOf(value, camel, snake) {
    return value !== null && typeof value === 'object' ? pick(value, camel, snake) : value;
  }

  /** A copy without the fields left undefined (or null): the API treats a missing field as "not given". */
  function compact(fields) {
    var out = {};
    Object.keys(fields).forEach(function (name) {
      if (fields[name] !== undefined && fields[name] !== null) out[name] = fields[name];
    });
    return out;
  }

  function launchBody(params) {
    params = params || {};
    return compact({
      session_id: pick(params, 'sessionId', 'session_id'),
      player_id: pick(params, 'playerId', 'player_id'),
      game_id: pick(params, 'gameId', 'game_id'),
      currency: params.currency,
      language: params.language,
      return_url: pick(params, 'returnUrl', 'return_url'),
      client_ip: pick(params, 'clientIp', 'client_ip'),
    });
  }

  // ---- the client -----------------------------------------------------------------------------

  class NetspaceSDK {
    /**
     * @param {object} options
     * @param {string} options.apiKey     sent as X-API-Key
     * @param {string} options.secretKey  signs every request (HMAC-SHA256); never sent
     * @param {string} [options.baseUrl]  default NETSPACE_API_URL, else the real platform; a trailing
     *                                   slash is fine
     * @param {number} [options.timeout]  milliseconds per request (default 30000)
     * @param {Function} [options.fetch]  a fetch implementation (default the global fetch)
     */
    constructor(options) {
      options = options || {};
      if (!options.apiKey || !options.secretKey) {
        throw new TypeError('NetspaceSDK needs { apiKey, secretKey } (and baseUrl to reach a mock)');
      }
      this.apiKey = String(options.apiKey);
      this.secretKey = String(options.secretKey);
      this.baseUrl = String(options.baseUrl || environmentBaseUrl() || DEFAULT_BASE_URL).replace(/\/+$/, '');
      this.timeout = options.timeout || DEFAULT_TIMEOUT_MS;
      this._fetch = options.fetch || (typeof fetch === 'function' ? fetch : null);
      this._iframe = null;
    }

    /**
     * The X-Signature of one request: hex HMAC-SHA256 over TIMESTAMP + METHOD + PATH + BODY, where
     * TIMESTAMP is Unix time in seconds (not milliseconds), METHOD is upper-case, PATH starts with /api
     * and is the path alone (a query string is sent but not signed), and BODY is the exact text sent
     * ('' for a GET).
     */
    signature(timestamp, method, path, body) {
      return hmacSha256Hex(this.secretKey, String(timestamp) + method.toUpperCase() + path + (body || ''));
    }

    /** Sign and send one request; resolves to the parsed success answer, rejects with NetspaceError. */
    async request(method, path, payload, query) {
      method = method.toUpperCase();
      var signedPath = path; // the path alone: the query string is sent, not signed
      if (query) path += queryString(query);
      // Serialise once: the very string that is signed is the one sent. Re-serialising (or letting a
      // library do it) may change spacing, key order or escapes, and the signature no longer matches.
      var body = payload === undefined ? '' : JSON.stringify(payload);
      var timestamp = String(Math.floor(Date.now() / 1000)); // seconds!
      var headers = {
        Accept: 'application/json',
        'X-API-Key': this.apiKey,
        'X-Timestamp': timestamp,
        'X-Signature': await this.signature(timestamp, method, signedPath, body),
      };
      if (body) headers['Content-Type'] = 'application/json';
      if (!this._fetch) {
        throw new NetspaceError('NETWORK_ERROR', 'no fetch() available: use Node 18+ or pass options.fetch', 0);
      }

      var controller = typeof AbortController === 'function' ? new AbortController() : null;
      var timer = controller ? setTimeout(controller.abort.bind(controller), this.timeout) : null;
      var response, text;
      try {
        response = await this._fetch(this.baseUrl + path, {
          method: method,
          headers: headers,
          body: body === '' ? undefined : body, // a string: fetch sends it as UTF-8, as it was signed
          signal: controller ? controller.signal : undefined,
        });
        text = await response.text();
      } catch (err) {
        var why = controller && controller.signal.aborted ? 'no answer within ' + this.timeout + ' ms' : err.message;
        throw new NetspaceError('NETWORK_ERROR', method + ' ' + this.baseUrl + path + ' failed: ' + why, 0);
      } finally {
        if (timer) clearTimeout(timer);
      }

      var answer = null;
      try {
        answer = JSON.parse(text);
      } catch (err) {
        // not JSON: reported below with the start of the text
      }
      if (response.ok && answer && answer.success === true) return answer;
      var error = (answer && answer.error) || {};
      throw new NetspaceError(
        error.code || 'HTTP_ERROR',
        error.message || 'HTTP ' + response.status + ': ' + String(text).slice(0, 500),
        response.status,
        error.details
      );
    }

    // ---- the guide's SDK methods ----------------------------------------------------------------

    /** POST /api/game/launch: a real-money session; the answer holds game_url, session_id, expires_at. */
    launchGame(params) {
      return this.request('POST', '/api/game/launch', launchBody(params));
    }

    /** POST /api/game/launch-demo: a session with a virtual balance. */
    launchDemo(params) {
      params = params || {};
      return this.request(
        'POST',
        '/api/game/launch-demo',
        compact({
          game_id: pick(params, 'gameId', 'game_id'),
          currency: params.currency,
          language: params.language,
          return_url: pick(params, 'returnUrl', 'return_url'),
        })
      );
    }

    /** GET /api/game/currencies */
    getCurrencies() {
      return this.request('GET', '/api/game/currencies');
    }

    /** GET /api/games/catalog, filtered and paginated. */
    getGames(filters) {
      filters = filters || {};
      return this.request('GET', '/api/games/catalog', undefined, {
        category: filters.category,
        search: filters.search,
        currency: filters.currency,
        language: filters.language,
        featured: filters.featured,
        page: filters.page,
        per_page: pick(filters, 'perPage', 'per_page'),
      });
    }

    /** GET /api/games/{gameId}; gameId, or { gameId } / { game_id }. */
    getGameDetail(gameId) {
      return this.request('GET', '/api/games/' + encode(idOf(gameId, 'gameId', 'game_id')));
    }

    /** GET /api/games/categories */
    getCategories() {
      return this.request('GET', '/api/games/categories');
    }

    /** GET /api/games/featured */
    getFeaturedGames() {
      return this.request('GET', '/api/games/featured');
    }

    /**
     * POST /api/v1/freebets/assign; gameId (optional) limits the free bet to one game. The free bet's
     * amount, currency and expiry come from free_bets (or freeBets), as in the guide's request, or flat.
     */
    assignFreeBet(params) {
      params = params || {};
      var nested = pick(params, 'freeBets', 'free_bets') || {};
      var body = {
        operator_free_bet_id: pick(params, 'operatorFreeBetId', 'operator_free_bet_id'),
        player_id: pick(params, 'playerId', 'player_id'),
        free_bets: compact({
          amount: nested.amount !== undefined ? nested.amount : params.amount,
          currency: nested.currency !== undefined ? nested.currency : params.currency,
          expires_at: pick(nested, 'expiresAt', 'expires_at') || pick(params, 'expiresAt', 'expires_at'),
        }),
        game_id: pick(params, 'gameId', 'game_id'),
      };
      return this.request('POST', '/api/v1/freebets/assign', compact(body));
    }

    /** POST /api/v1/freebets/status; the id, or { netspace_free_bet_id } as in the guide's request. */
    getFreeBetStatus(netspaceFreeBetId) {
      var id = idOf(netspaceFreeBetId, 'netspaceFreeBetId', 'netspace_free_bet_id');
      return this.request('POST', '/api/v1/freebets/status', compact({ netspace_free_bet_id: id }));
    }

    /** POST /api/v1/freebets/cancel; (id, reason), or { netspace_free_bet_id, reason } as in the guide. */
    cancelFreeBet(netspaceFreeBetId, reason) {
      var id = idOf(netspaceFreeBetId, 'netspaceFreeBetId', 'netspace_free_bet_id');
      if (reason === undefined && netspaceFreeBetId !== null && typeof netspaceFreeBetId === 'object') {
        reason = netspaceFreeBetId.reason;
      }
      var body = compact({ netspace_free_bet_id: id, reason: reason });
      return this.request('POST', '/api/v1/freebets/cancel', body);
    }

    /** POST /api/lotterix/jackpot/update: the Lotterix jackpot of one currency; ({amount, currency}) or (amount, currency). */
    updateJackpot(params, currency) {
      params = params !== null && typeof params === 'object' ? params : { amount: params, currency: currency };
      return this.request(
        'POST',
        '/api/lotterix/jackpot/update',
        compact({ amount: params.amount, currency: params.currency })
      );
    }

    // ---- sandbox --------------------------------------------------------------------------------

    /** POST /api/sandbox/game/launch, with the parameters of launchGame(). */
    sandboxLaunch(params) {
      return this.request('POST', '/api/sandbox/game/launch', launchBody(params));
    }

    /** GET /api/sandbox/game/balance?session_id=...: the balance, as the operator's webhook answers it. */
    sandboxBalance(sessionId) {
      var query = { session_id: idOf(sessionId, 'sessionId', 'session_id') };
      return this.request('GET', '/api/sandbox/game/balance', undefined, query);
    }

    /** POST /api/sandbox/game/bet: play one round through the operator's webhook. */
    sandboxBet(params) {
      params = params || {};
      return this.request(
        'POST',
        '/api/sandbox/game/bet',
        compact({
          session_id: pick(params, 'sessionId', 'session_id'),
          amount: params.amount,
          outcome: params.outcome,
          win_amount: pick(params, 'winAmount', 'win_amount'),
          use_free_bet: pick(params, 'useFreeBet', 'use_free_bet'),
          numbers: params.numbers,
        })
      );
    }

    /** GET /api/sandbox/stats */
    sandboxStats() {
      return this.request('GET', '/api/sandbox/stats');
    }

    /** POST /api/sandbox/reset (no body: the empty string is signed). */
    sandboxReset() {
      return this.request('POST', '/api/sandbox/reset');
    }

    // ---- certification --------------------------------------------------------------------------

    /** GET /api/certification/tests */
    getCertificationTests() {
      return this.request('GET', '/api/certification/tests');
    }

    /** POST /api/certification/run against the operator's webhook, with a test player. */
    runCertification(params) {
      params = params || {};
      return this.request(
        'POST',
        '/api/certification/run',
        compact({
          player_id: pick(params, 'playerId', 'player_id'),
          currency: params.currency,
          session_id: pick(params, 'sessionId', 'session_id'),
          tests: params.tests,
        })
      );
    }

    /** GET /api/certification/status */
    getCertificationStatus() {
      return this.request('GET', '/api/certification/status');
    }

    // ---- the page -------------------------------------------------------------------------------

    /**
     * Show the game in an iframe filling the element with id `containerId` (browser only). A second
     * call replaces the iframe the first one made. Returns the iframe.
     */
    openInIframe(containerId, gameUrl) {
      if (typeof document === 'undefined' || typeof document.getElementById !== 'function') {
        throw new Error(
          'openInIframe() needs a browser page (there is no document here). On a server, hand ' +
            'session.game_url to the browser instead, e.g. redirect the player to it.'
        );
      }
      var container = document.getElementById(containerId);
      if (!container) {
        throw new Error('openInIframe(): the page has no element with id "' + containerId + '"');
      }
      if (!gameUrl) throw new TypeError('openInIframe(): gameUrl is required (the game_url of a launch)');
      if (this._iframe && this._iframe.parentNode) this._iframe.parentNode.removeChild(this._iframe);
      var iframe = document.createElement('iframe');
      iframe.src = gameUrl;
      iframe.title = 'Netspace ONE game';
      iframe.setAttribute('width', '100%');
      iframe.setAttribute('height', '100%');
      iframe.setAttribute('frameborder', '0');
      iframe.setAttribute('allow', 'fullscreen');
      iframe.setAttribute('allowfullscreen', '');
      iframe.style.width = '100%';
      iframe.style.height = '100%';
      iframe.style.border = '0';
      container.appendChild(iframe);
      this._iframe = iframe;
      return iframe;
    }
  }

  NetspaceSDK.VERSION = VERSION;
  NetspaceSDK.DEFAULT_BASE_URL = DEFAULT_BASE_URL;

  return { NetspaceSDK: NetspaceSDK, NetspaceError: NetspaceError, VERSION: VERSION };
});
