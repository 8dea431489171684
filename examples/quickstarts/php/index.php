<?php
// The guide's PHP quick start, as the page it is written for, against netspace-mock:
//
//   cd examples/quickstarts/php
//   composer install                      # or nothing: without vendor/ the SDK's own autoloader is used
//   NETSPACE_API_URL=http://127.0.0.1:8080 php -S 127.0.0.1:8000 index.php
//
// then open http://127.0.0.1:8000/: the page redirects the browser to the game. Around the guide's code
// this file only loads the SDK (Composer's autoloader, as the guide's `composer require netspace/sdk`
// gives); the SDK reads the base URL from NETSPACE_API_URL.
require file_exists(__DIR__ . '/vendor/autoload.php')
    ? __DIR__ . '/vendor/autoload.php'
    : __DIR__ . '/../../../sdks/php/autoload.php';

// ---- the guide's quick start, as printed ----
use Netspace\NetspaceSDK;

$netspace = new NetspaceSDK([
    'apiKey' => 'your-api-key',
    'secretKey' => 'your-secret-key'
]);

$session = $netspace->launchGame([
    'sessionId' => 'session-123',
    'playerId' => 'player-456',
    'gameId' => 'lotterix',
    'currency' => 'USD',
    'clientIp' => $_SERVER['REMOTE_ADDR']
]);

header('Location: ' . $session['game_url']);
// ---- end of the guide's quick start ----
