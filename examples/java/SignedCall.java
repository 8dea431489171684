// Two signed calls to netspace-mock (or the real platform) with nothing but the JDK (17+):
// GET /api/games/featured, then POST /api/game/launch with a JSON body.
//
//   javac -d build SignedCall.java && java -cp build SignedCall      (or in one step: java SignedCall.java)
//
// Environment: NETSPACE_API_URL (default http://127.0.0.1:8080), NETSPACE_API_KEY (default
// sandbox-api-key), NETSPACE_SECRET_KEY (default sandbox-secret-key). Exits 1 on any failure.

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class SignedCall {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final Pattern SUCCESS = Pattern.compile("\"success\"\\s*:\\s*true");
    private static final Pattern GAME_URL = Pattern.compile("\"game_url\"\\s*:\\s*\"([^\"]*)\"");

    private final String baseUrl;
    private final String apiKey;
    private final String secretKey;

    SignedCall(String baseUrl, String apiKey, String secretKey) {
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.apiKey = apiKey;
        this.secretKey = secretKey;
    }

    /**
     * Hex HMAC-SHA256 of TIMESTAMP + METHOD + PATH + BODY; PATH starts with /api and is the path alone (a query
     * string is sent, not signed), BODY is the bytes sent.
     */
    String sign(String timestamp, String method, String path, byte[] body) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secretKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String pathAlone = path.split("\\?", 2)[0];
        mac.update((timestamp + method + pathAlone).getBytes(StandardCharsets.UTF_8));
        mac.update(body);
        return HexFormat.of().formatHex(mac.doFinal());
    }

    /** Sends one signed request; returns the answer's text, or throws with the error answer. */
    String call(String method, String path, String json) throws IOException, InterruptedException, GeneralSecurityException {
        // Encode once: the very bytes that are signed are the bytes sent ("" for a GET).
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        String timestamp = Long.toString(System.currentTimeMillis() / 1000); // seconds, not milliseconds
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json")
                .header("X-API-Key", apiKey)
                .header("X-Timestamp", timestamp)
                .header("X-Signature", sign(timestamp, method, path, body));
        if (json == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        HttpResponse<String> response;
        try {
            response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException(method + " " + path + ": could not reach " + baseUrl + " (" + e + ")", e);
        }
        System.out.println(method + " " + path + " -> " + response.statusCode());
        System.out.println(response.body());
        if (response.statusCode() != 200 || !SUCCESS.matcher(response.body()).find()) {
            throw new IOException(method + " " + path + " failed with HTTP " + response.statusCode() + ": "
                    + response.body());
        }
        return response.body();
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    public static void main(String[] args) {
        SignedCall netspace = new SignedCall(
                env("NETSPACE_API_URL", "http://127.0.0.1:8080"),
                env("NETSPACE_API_KEY", "sandbox-api-key"),
                env("NETSPACE_SECRET_KEY", "sandbox-secret-key"));
        try {
            netspace.call("GET", "/api/games/featured", null);
            String sessionId = "java-session-" + (System.currentTimeMillis() / 1000);
            String launch = "{\"session_id\":\"" + sessionId + "\",\"player_id\":\"java-player-1\","
                    + "\"game_id\":\"lotterix\",\"currency\":\"USD\",\"language\":\"pt\","
                    + "\"client_ip\":\"192.168.1.1\"}";
            String answer = netspace.call("POST", "/api/game/launch", launch);
            Matcher url = GAME_URL.matcher(answer);
            System.out.println("game_url: " + (url.find() ? url.group(1) : "(missing)"));
        } catch (Exception e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }
}
