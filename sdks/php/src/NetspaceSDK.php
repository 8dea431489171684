<?php
/*
 * A stand-in of the Netspace ONE PHP SDK, as the guide's quick start uses it:
 *
 *   use Netspace\NetspaceSDK;
 *   $netspace = new NetspaceSDK(['apiKey' => 'your-api-key', 'secretKey' => 'your-secret-key']);
 *   $session = $netspace->launchGame(['sessionId' => 'session-123', 'playerId' => 'player-456',
 *                                     'gameId' => 'lotterix', 'currency' => 'USD']);
 *   $session['game_url'];
 *
 * The base URL is the option 'baseUrl', else the environment variable NETSPACE_API_URL, else the real
 * platform (https://api.netspace.one). No extension beyond json: requests go through PHP's http stream
 * wrapper (allow_url_fopen, on by default). Parameters may be given camelCase (as the guide's launchGame)
 * or snake_case (as the guide's request bodies). Every request is signed as the guide says: the hex
 * HMAC-SHA256, keyed with the secret, of TIMESTAMP + METHOD + PATH + BODY, where PATH starts with /api
 * and is the path alone (a query string is sent but not signed), and BODY is the exact text sent (the
 * empty string when there is none), written as JavaScript's JSON.stringify writes it (50.0 as 50).
 * Every method returns the parsed answer (an array with 'success' => true); an error answer, or no
 * answer, throws NetspaceException with the envelope's code and message and the HTTP status (0: none).
 */

namespace Netspace;

class NetspaceException extends \RuntimeException
{
    /** @var string e.g. NOT_FOUND, UNAUTHORIZED, INVALID_REQUEST, NETWORK_ERROR */
    public $errorCode;
    /** @var int the HTTP status; 0 when no answer arrived */
    public $status;
    /** @var array */
    public $details;

    public function __construct(string $errorCode, string $message, int $status, array $details = [])
    {
        parent::__construct($errorCode . ' (' . $status . '): ' . $message, $status);
        $this->errorCode = $errorCode;
        $this->status = $status;
        $this->details = $details;
    }
}

class NetspaceSDK
{
    const VERSION = '1.0.0';
    const DEFAULT_BASE_URL = 'https://api.netspace.one';

    private $apiKey;
    private $secretKey;
    private $baseUrl;
    private $timeout;

    /** @param array $config apiKey, secretKey; optional baseUrl, timeout (seconds, default 30) */
    public function __construct(array $config)
    {
        $apiKey = self::pick($config, 'apiKey', 'api_key');
        $secretKey = self::pick($config, 'secretKey', 'secret_key');
        if ($apiKey === null || $apiKey === '' || $secretKey === null || $secretKey === '') {
            throw new \InvalidArgumentException('NetspaceSDK needs [apiKey, secretKey]');
        }
        $baseUrl = self::pick($config, 'baseUrl', 'base_url');
        if ($baseUrl === null || $baseUrl === '') {
            $fromEnvironment = getenv('NETSPACE_API_URL');
            $given = $fromEnvironment !== false && $fromEnvironment !== '';
            $baseUrl = $given ? $fromEnvironment : self::DEFAULT_BASE_URL;
        }
        $this->apiKey = (string) $apiKey;
        $this->secretKey = (string) $secretKey;
        $this->baseUrl = rtrim((string) $baseUrl, '/');
        $this->timeout = (float) ($config['timeout'] ?? 30);
    }

    public function getBaseUrl(): string
    {
        return $this->baseUrl;
    }

    // ---- the guide's nine methods -------------------------------------------------------------

    /** POST /api/game/launch: sessionId, playerId, gameId, currency; language, returnUrl, clientIp */
    public function launchGame(array $params): array
    {
        return $this->request('POST', '/api/game/launch', self::compact([
            'session_id' => self::pick($params, 'sessionId', 'session_id'),
            'player_id' => self::pick($params, 'playerId', 'player_id'),
            'game_id' => self::pick($params, 'gameId', 'game_id'),
            'currency' => $params['currency'] ?? null,
            'language' => $params['language'] ?? null,
            'return_url' => self::pick($params, 'returnUrl', 'return_url'),
            'client_ip' => self::pick($params, 'clientIp', 'client_ip'),
        ]));
    }

    /** POST /api/game/launch-demo: gameId; currency, language, returnUrl */
    public function launchDemo(array $params): array
    {
        return $this->request('POST', '/api/game/launch-demo', self::compact([
            'game_id' => self::pick($params, 'gameId', 'game_id'),
            'currency' => $params['currency'] ?? null,
            'language' => $params['language'] ?? null,
            'return_url' => self::pick($params, 'returnUrl', 'return_url'),
        ]));
    }

    /** GET /api/game/currencies */
    public function getCurrencies(): array
    {
        return $this->request('GET', '/api/game/currencies');
    }

    /** GET /api/games/catalog: category, search, currency, language, featured, page, perPage */
    public function getGames(array $filters = []): array
    {
        $featured = $filters['featured'] ?? null;
        return $this->request('GET', '/api/games/catalog', null, [
            'category' => $filters['category'] ?? null,
            'search' => $filters['search'] ?? null,
            'currency' => $filters['currency'] ?? null,
            'language' => $filters['language'] ?? null,
            'featured' => is_bool($featured) ? ($featured ? 'true' : 'false') : $featured,
            'page' => $filters['page'] ?? null,
            'per_page' => self::pick($filters, 'perPage', 'per_page'),
        ]);
    }

    /** GET /api/games/{gameId}; the id, or ['gameId' => ...] */
    public function getGameDetail($gameId): array
    {
        $id = is_array($gameId) ? self::pick($gameId, 'gameId', 'game_id') : $gameId;
        return $this->request('GET', '/api/games/' . rawurlencode((string) $id));
    }

    /**
     * POST /api/v1/freebets/assign: operatorFreeBetId, playerId and free_bets (amount, currency,
     * expires_at) as in the guide's request, or amount, currency, expiresAt given flat; gameId limits
     * the free bet to one game.
     */
    public function assignFreeBet(array $params): array
    {
        $nested = self::pick($params, 'freeBets', 'free_bets') ?? [];
        return $this->request('POST', '/api/v1/freebets/assign', self::compact([
            'operator_free_bet_id' => self::pick($params, 'operatorFreeBetId', 'operator_free_bet_id'),
            'player_id' => self::pick($params, 'playerId', 'player_id'),
            'free_bets' => (object) self::compact([
                'amount' => $nested['amount'] ?? $params['amount'] ?? null,
                'currency' => $nested['currency'] ?? $params['currency'] ?? null,
                'expires_at' => self::pick($nested, 'expiresAt', 'expires_at')
                    ?? self::pick($params, 'expiresAt', 'expires_at'),
            ]),
            'game_id' => self::pick($params, 'gameId', 'game_id'),
        ]));
    }

    /** POST /api/v1/freebets/status; the id, or ['netspace_free_bet_id' => ...] */
    public function getFreeBetStatus($netspaceFreeBetId): array
    {
        return $this->request('POST', '/api/v1/freebets/status', self::compact([
            'netspace_free_bet_id' => self::freeBetId($netspaceFreeBetId),
        ]));
    }

    /** POST /api/v1/freebets/cancel; (id, reason), or ['netspace_free_bet_id' => ..., 'reason' => ...] */
    public function cancelFreeBet($netspaceFreeBetId, ?string $reason = null): array
    {
        if ($reason === null && is_array($netspaceFreeBetId)) {
            $reason = $netspaceFreeBetId['reason'] ?? null;
        }
        return $this->request('POST', '/api/v1/freebets/cancel', self::compact([
            'netspace_free_bet_id' => self::freeBetId($netspaceFreeBetId),
            'reason' => $reason,
        ]));
    }

    /** POST /api/lotterix/jackpot/update: (['amount' => ..., 'currency' => ...]) or (amount, currency) */
    public function updateJackpot($params, ?string $currency = null): array
    {
        if (!is_array($params)) {
            $params = ['amount' => $params, 'currency' => $currency];
        }
        return $this->request('POST', '/api/lotterix/jackpot/update', self::compact([
            'amount' => $params['amount'] ?? null,
            'currency' => $params['currency'] ?? null,
        ]));
    }

    // ---- signing and sending ------------------------------------------------------------------

    /** The X-Signature: hex HMAC-SHA256 of TIMESTAMP + METHOD + PATH + BODY. */
    public function signature(string $timestamp, string $method, string $path, string $body = ''): string
    {
        return hash_hmac('sha256', $timestamp . strtoupper($method) . $path . $body, $this->secretKey);
    }

    /** Sign and send one request; returns the parsed success answer, throws NetspaceException. */
    public function request(string $method, string $path, ?array $payload = null, array $query = []): array
    {
        $method = strtoupper($method);
        $signedPath = $path; // the path alone: the query string is sent, not signed
        $path .= self::queryString($query);
        // Serialised once: the very text signed is the one sent.
        $body = $payload === null ? '' : self::json($payload);
        $timestamp = (string) time(); // seconds, not milliseconds
        $headers = [
            'Accept: application/json',
            'X-API-Key: ' . $this->apiKey,
            'X-Timestamp: ' . $timestamp,
            'X-Signature: ' . $this->signature($timestamp, $method, $signedPath, $body),
        ];
        if ($body !== '') {
            $headers[] = 'Content-Type: application/json';
        }
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => implode("\r\n", $headers),
            'content' => $body,
            'timeout' => $this->timeout,
            'ignore_errors' => true, // an error status still gives its body: the error envelope
            'follow_location' => 0,
        ]]);
        $url = $this->baseUrl . $path;
        $text = @file_get_contents($url, false, $context);
        // PHP 8.4 offers http_get_last_response_headers(); before it, the variable the wrapper sets.
        $responseHeaders = function_exists('http_get_last_response_headers')
            ? (http_get_last_response_headers() ?? [])
            : ($http_response_header ?? []);
        if ($text === false || !$responseHeaders) {
            $why = error_get_last()['message'] ?? 'no answer';
            throw new NetspaceException('NETWORK_ERROR', $method . ' ' . $url . ' failed: ' . $why, 0);
        }
        $status = preg_match('#^HTTP/\S+\s+(\d{3})#', $responseHeaders[0], $found) ? (int) $found[1] : 0;
        $answer = json_decode($text, true);
        if ($status >= 200 && $status < 300 && is_array($answer) && ($answer['success'] ?? null) === true) {
            return $answer;
        }
        $error = is_array($answer) && is_array($answer['error'] ?? null) ? $answer['error'] : [];
        throw new NetspaceException(
            (string) ($error['code'] ?? 'HTTP_ERROR'),
            (string) ($error['message'] ?? 'HTTP ' . $status . ': ' . substr($text, 0, 500)),
            $status,
            is_array($error['details'] ?? null) ? $error['details'] : []
        );
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** A parameter given camelCase or snake_case. */
    private static function pick(array $params, string $camel, string $snake)
    {
        return $params[$camel] ?? $params[$snake] ?? null;
    }

    private static function freeBetId($value)
    {
        return is_array($value) ? self::pick($value, 'netspaceFreeBetId', 'netspace_free_bet_id') : $value;
    }

    /** The fields that were given: the API reads a missing field as "not given", not as null. */
    private static function compact(array $fields): array
    {
        return array_filter($fields, function ($value) {
            return $value !== null;
        });
    }

    /**
     * JSON as JavaScript's JSON.stringify writes it: json_encode writes a float 50.0 as 50.0 and 1e-5 as
     * 1.0e-5, JavaScript as 50 and 0.00001, and a platform that re-serialises the body would differ.
     * Arrays with keys 0..n-1 are JSON arrays, other arrays and objects JSON objects (as json_encode).
     */
    public static function json($value): string
    {
        if (is_float($value)) {
            return self::jsNumber($value);
        }
        if (is_array($value) && ($value === [] || array_keys($value) === range(0, count($value) - 1))) {
            return '[' . implode(',', array_map([self::class, 'json'], $value)) . ']';
        }
        if (is_array($value) || is_object($value)) {
            $members = [];
            foreach ((array) $value as $name => $member) {
                $members[] = self::json((string) $name) . ':' . self::json($member);
            }
            return '{' . implode(',', $members) . '}';
        }
        $flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_LINE_TERMINATORS;
        $text = json_encode($value, $flags);
        if ($text === false) {
            throw new \InvalidArgumentException('the request is not encodable as JSON: ' . json_last_error_msg());
        }
        return $text;
    }

    /** A float as JavaScript writes it (Number::toString): the shortest digits that read back the same. */
    public static function jsNumber(float $value): string
    {
        if (!is_finite($value)) {
            throw new \InvalidArgumentException('the request is not encodable as JSON: ' . $value . ' is no JSON number');
        }
        if ($value == 0.0) {
            return '0';
        }
        // With serialize_precision -1, json_encode writes the shortest digits that read back as the same
        // double (what JavaScript writes too), only in another layout: 1.0e-5, 10.0.
        $saved = ini_set('serialize_precision', '-1');
        $shortest = strtolower((string) json_encode(abs($value)));
        ini_set('serialize_precision', (string) $saved);
        $parts = explode('e', $shortest);
        $mantissa = $parts[0];
        $exponent = (int) ($parts[1] ?? 0);
        $point = strpos($mantissa, '.');
        $whole = $point === false ? $mantissa : substr($mantissa, 0, $point);
        $all = str_replace('.', '', $mantissa);
        $digits = ltrim($all, '0');
        $n = strlen($whole) + $exponent - (strlen($all) - strlen($digits)); // the value is 0.DIGITS x 10^n
        $digits = rtrim($digits, '0');
        $k = strlen($digits);
        $sign = $value < 0 ? '-' : '';
        if ($k <= $n && $n <= 21) {
            return $sign . $digits . str_repeat('0', $n - $k);
        }
        if (0 < $n && $n <= 21) {
            return $sign . substr($digits, 0, $n) . '.' . substr($digits, $n);
        }
        if (-6 < $n && $n <= 0) {
            return $sign . '0.' . str_repeat('0', -$n) . $digits;
        }
        $shown = $digits[0] . ($k > 1 ? '.' . substr($digits, 1) : '');
        return $sign . $shown . 'e' . ($n - 1 >= 0 ? '+' : '-') . abs($n - 1);
    }

    /** Strict percent-encoding (RFC 3986): the query string is sent exactly as written here. */
    private static function queryString(array $params): string
    {
        $parts = [];
        foreach (self::compact($params) as $name => $value) {
            $parts[] = rawurlencode((string) $name) . '=' . rawurlencode((string) $value);
        }
        return $parts ? '?' . implode('&', $parts) : '';
    }
}
