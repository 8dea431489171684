package one.netspace.sdk;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stand-in of the Netspace ONE Java SDK, as the guide's quick start uses it:
 *
 * <pre>
 * NetspaceSDK netspace = new NetspaceSDK("your-api-key", "your-secret-key");
 * LaunchResponse session = netspace.launchGame(new LaunchGameParams().setSessionId("session-123")
 *     .setPlayerId("player-456").setGameId("lotterix").setCurrency("USD").setClientIp("192.168.1.1"));
 * session.getGameUrl();
 * </pre>
 *
 * The base URL is the constructor's third argument, else the environment variable NETSPACE_API_URL, else
 * the real platform (https://api.netspace.one). Standard library only (java.net.http, javax.crypto).
 * Every request is signed as the guide says: the hex HMAC-SHA256, keyed with the secret, of TIMESTAMP +
 * METHOD + PATH + BODY, where PATH starts with /api and is the path alone (a query string is sent but not
 * signed), and BODY is the exact text sent (the empty string when there is none), written as JavaScript's
 * JSON.stringify writes it (50.0 as 50). The methods other than launchGame return the parsed
 * answer as a Map; an error answer, or no answer, throws NetspaceException.
 */
public final class NetspaceSDK {
    public static final String VERSION = "1.0.0";
    public static final String DEFAULT_BASE_URL = "https://api.netspace.one";

    private final String apiKey;
    private final String secretKey;
    private final String baseUrl;
    private final HttpClient http;
    private final Duration timeout = Duration.ofSeconds(30);

    public NetspaceSDK(String apiKey, String secretKey) {
        this(apiKey, secretKey, null);
    }

    public NetspaceSDK(String apiKey, String secretKey, String baseUrl) {
        if (apiKey == null || apiKey.isEmpty() || secretKey == null || secretKey.isEmpty()) {
            throw new IllegalArgumentException("NetspaceSDK needs an API key and a secret key");
        }
        String base = baseUrl;
        if (base == null || base.isEmpty()) base = System.getenv("NETSPACE_API_URL");
        if (base == null || base.isEmpty()) base = DEFAULT_BASE_URL;
        this.apiKey = apiKey;
        this.secretKey = secretKey;
        this.baseUrl = base.replaceAll("/+$", "");
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public String getBaseUrl() { return baseUrl; }

    // ---- the guide's nine methods ---------------------------------------------------------------

    /** POST /api/game/launch: a real-money session. */
    public LaunchResponse launchGame(LaunchGameParams params) {
        return new LaunchResponse(request("POST", "/api/game/launch", params.toBody(), null));
    }

    /** POST /api/game/launch-demo: a session with a virtual balance; currency may be null (USD). */
    public Map<String, Object> launchDemo(String gameId, String currency) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("game_id", gameId);
        if (currency != null) body.put("currency", currency);
        return request("POST", "/api/game/launch-demo", body, null);
    }

    /** GET /api/game/currencies */
    public Map<String, Object> getCurrencies() {
        return request("GET", "/api/game/currencies", null, null);
    }

    /** GET /api/games/catalog with filters by their API names (category, search, page, per_page, ...). */
    public Map<String, Object> getGames(Map<String, ?> filters) {
        return request("GET", "/api/games/catalog", null, filters);
    }

    /** GET /api/games/{gameId} */
    public Map<String, Object> getGameDetail(String gameId) {
        return request("GET", "/api/games/" + encode(gameId), null, null);
    }

    /**
     * POST /api/v1/freebets/assign, the guide's request as a map: operator_free_bet_id, player_id,
     * free_bets: {amount, currency, expires_at}, and game_id to limit it to one game.
     */
    public Map<String, Object> assignFreeBet(Map<String, ?> request) {
        return request("POST", "/api/v1/freebets/assign", request, null);
    }

    /** POST /api/v1/freebets/assign with the free bet's fields given one by one. */
    public Map<String, Object> assignFreeBet(
            String operatorFreeBetId, String playerId, double amount, String currency, String expiresAt) {
        Map<String, Object> freeBets = new LinkedHashMap<>();
        freeBets.put("amount", amount);
        freeBets.put("currency", currency);
        freeBets.put("expires_at", expiresAt);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("operator_free_bet_id", operatorFreeBetId);
        body.put("player_id", playerId);
        body.put("free_bets", freeBets);
        return assignFreeBet(body);
    }

    /** POST /api/v1/freebets/status */
    public Map<String, Object> getFreeBetStatus(String netspaceFreeBetId) {
        Map<String, Object> body = Map.of("netspace_free_bet_id", netspaceFreeBetId);
        return request("POST", "/api/v1/freebets/status", body, null);
    }

    /** POST /api/v1/freebets/cancel; reason may be null. */
    public Map<String, Object> cancelFreeBet(String netspaceFreeBetId, String reason) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("netspace_free_bet_id", netspaceFreeBetId);
        if (reason != null) body.put("reason", reason);
        return request("POST", "/api/v1/freebets/cancel", body, null);
    }

    /** POST /api/lotterix/jackpot/update: the Lotterix jackpot of one currency. */
    public Map<String, Object> updateJackpot(double amount, String currency) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("amount", amount);
        body.put("currency", currency);
        return request("POST", "/api/lotterix/jackpot/update", body, null);
    }

    // ---- signing and sending --------------------------------------------------------------------

    /** The X-Signature: hex HMAC-SHA256 of TIMESTAMP + METHOD + PATH + BODY. */
    public String signature(String timestamp, String method, String path, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secretKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            String stringToSign = timestamp + method.toUpperCase() + path + body;
            byte[] digest = mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (byte b : digest) hex.append(String.format("%02x", b));
            return hex.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Sign and send one request; the parsed success answer, or NetspaceException. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> request(
            String method, String path, Map<String, ?> payload, Map<String, ?> query) {
        method = method.toUpperCase();
        String signedPath = path; // the path alone: the query string is sent, not signed
        path += queryString(query);
        // Serialised once: the very text signed is the one sent.
        String body = payload == null ? "" : Json.write(payload);
        String timestamp = Long.toString(System.currentTimeMillis() / 1000); // seconds, not milliseconds
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Accept", "application/json")
                .header("X-API-Key", apiKey)
                .header("X-Timestamp", timestamp)
                .header("X-Signature", signature(timestamp, method, signedPath, body));
        if (body.isEmpty()) {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            builder.header("Content-Type", "application/json");
            builder.method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        HttpResponse<String> response;
        String target = method + " " + baseUrl + path;
        try {
            response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new NetspaceException("NETWORK_ERROR", target + " failed: " + e, 0, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetspaceException("NETWORK_ERROR", target + " interrupted", 0, null);
        }
        Object answer;
        try {
            answer = Json.read(response.body());
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            answer = null;
        }
        int status = response.statusCode();
        boolean succeeded = answer instanceof Map && Boolean.TRUE.equals(((Map<?, ?>) answer).get("success"));
        if (status >= 200 && status < 300 && succeeded) {
            return (Map<String, Object>) answer;
        }
        Object error = answer instanceof Map ? ((Map<?, ?>) answer).get("error") : null;
        Map<String, Object> envelope = error instanceof Map ? (Map<String, Object>) error : Map.of();
        Object code = envelope.get("code");
        Object message = envelope.get("message");
        Object details = envelope.get("details");
        String text = response.body();
        String start = text.substring(0, Math.min(500, text.length()));
        throw new NetspaceException(
                code == null ? "HTTP_ERROR" : code.toString(),
                message == null ? "HTTP " + status + ": " + start : message.toString(),
                status,
                details instanceof Map ? (Map<String, Object>) details : null);
    }

    /** Strict percent-encoding (RFC 3986): the query string is sent exactly as written here. */
    private static String encode(Object value) {
        return URLEncoder.encode(String.valueOf(value), StandardCharsets.UTF_8)
                .replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private static String queryString(Map<String, ?> query) {
        if (query == null) return "";
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, ?> entry : query.entrySet()) {
            if (entry.getValue() == null) continue;
            out.append(out.length() == 0 ? '?' : '&');
            out.append(encode(entry.getKey())).append('=').append(encode(entry.getValue()));
        }
        return out.toString();
    }
}
