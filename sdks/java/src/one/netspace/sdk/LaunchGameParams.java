package one.netspace.sdk;

import java.util.LinkedHashMap;
import java.util.Map;

/** The parameters of {@link NetspaceSDK#launchGame}, set as in the guide's quick start (setters chain). */
public final class LaunchGameParams {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    public LaunchGameParams setSessionId(String sessionId) { return set("session_id", sessionId); }

    public LaunchGameParams setPlayerId(String playerId) { return set("player_id", playerId); }

    public LaunchGameParams setGameId(String gameId) { return set("game_id", gameId); }

    public LaunchGameParams setCurrency(String currency) { return set("currency", currency); }

    public LaunchGameParams setLanguage(String language) { return set("language", language); }

    public LaunchGameParams setReturnUrl(String returnUrl) { return set("return_url", returnUrl); }

    public LaunchGameParams setClientIp(String clientIp) { return set("client_ip", clientIp); }

    /** The request body: the fields that were set (a field set to null is left out, as never given). */
    public Map<String, Object> toBody() { return new LinkedHashMap<>(fields); }

    private LaunchGameParams set(String name, Object value) {
        if (value == null) fields.remove(name); else fields.put(name, value);
        return this;
    }
}
