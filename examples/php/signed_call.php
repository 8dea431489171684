<?php
// Two signed calls to netspace-mock (or the real platform) with nothing but PHP's standard library
// (hash_hmac, json_encode, file_get_contents with an http stream context; needs allow_url_fopen=On):
// GET /api/games/featured, then POST /api/game/launch with a JSON body.
//
//   php signed_call.php
//
// Environment: NETSPACE_API_URL (default http://127.0.0.1:8080), NETSPACE_API_KEY (default
// sandbox-api-key), NETSPACE_SECRET_KEY (default sandbox-secret-key). Exits 1 on any failure.

declare(strict_types=1);

function env_or(string $name, string $fallback): string
{
    $value = getenv($name);
    return $value === false || $value === '' ? $fallback : $value;
}

/**
 * Hex HMAC-SHA256 of TIMESTAMP + METHOD + PATH + BODY; PATH starts with /api and is the path alone (a query
 * string is sent, not signed), BODY is the text sent.
 */
function netspace_signature(string $secret, string $timestamp, string $method, string $path, string $body): string
{
    $pathAlone = explode('?', $path, 2)[0];
    return hash_hmac('sha256', $timestamp . strtoupper($method) . $pathAlone . $body, $secret);
}

/** Sends one signed request; returns the decoded answer, or throws with the error answer. */
function netspace_call(array $config, string $method, string $path, ?array $payload = null): array
{
    // Encode once: the very string that is signed is the string sent ('' for a GET). json_encode writes a
    // float 10.0 as 10.0 where JavaScript writes 10: give whole amounts as integers (10), as this body does.
    $body = $payload === null
        ? ''
        : json_encode($payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    $timestamp = (string) time(); // seconds, not milliseconds
    $headers = [
        'Accept: application/json',
        'X-API-Key: ' . $config['api_key'],
        'X-Timestamp: ' . $timestamp,
        'X-Signature: ' . netspace_signature($config['secret_key'], $timestamp, $method, $path, $body),
    ];
    if ($body !== '') {
        $headers[] = 'Content-Type: application/json';
    }
    $context = stream_context_create(['http' => [
        'method' => $method,
        'header' => implode("\r\n", $headers),
        'content' => $body,
        'ignore_errors' => true, // read the error envelope of a 4xx/5xx too
        'timeout' => 30,
    ]]);
    $text = @file_get_contents($config['base_url'] . $path, false, $context);
    if ($text === false) {
        throw new RuntimeException("$method $path: could not reach {$config['base_url']}");
    }
    $responseHeaders = function_exists('http_get_last_response_headers')
        ? (http_get_last_response_headers() ?? [])
        : ($http_response_header ?? []);
    $status = 0;
    foreach ($responseHeaders as $line) { // after a redirect the last status line counts
        if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
            $status = (int) $m[1];
        }
    }
    echo "$method $path -> $status\n$text\n";
    $answer = json_decode($text, true);
    if ($status !== 200 || !is_array($answer) || ($answer['success'] ?? false) !== true) {
        throw new RuntimeException("$method $path failed with HTTP $status: $text");
    }
    return $answer;
}

$config = [
    'base_url' => rtrim(env_or('NETSPACE_API_URL', 'http://127.0.0.1:8080'), '/'),
    'api_key' => env_or('NETSPACE_API_KEY', 'sandbox-api-key'),
    'secret_key' => env_or('NETSPACE_SECRET_KEY', 'sandbox-secret-key'),
];

try {
    netspace_call($config, 'GET', '/api/games/featured');
    $session = netspace_call($config, 'POST', '/api/game/launch', [
        'session_id' => 'php-session-' . time(),
        'player_id' => 'php-player-1',
        'game_id' => 'lotterix',
        'currency' => 'USD',
        'language' => 'pt',
        'client_ip' => '192.168.1.1',
    ]);
    echo 'game_url: ' . $session['game_url'] . "\n";
} catch (Throwable $e) {
    fwrite(STDERR, 'error: ' . $e->getMessage() . "\n");
    exit(1);
}
