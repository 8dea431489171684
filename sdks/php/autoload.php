<?php
// Without Composer: `require 'sdks/php/autoload.php';` then `use Netspace\NetspaceSDK;` as the guide does.
spl_autoload_register(function (string $class): void {
    if ($class === 'Netspace\NetspaceSDK' || $class === 'Netspace\NetspaceException') {
        require_once __DIR__ . '/src/NetspaceSDK.php';
    }
});
