package one.netspace.sdk;

import java.util.Collections;
import java.util.Map;

/** The answer of a launch: the game's URL (send the player there), the session and its expiry. */
public final class LaunchResponse {
    private final Map<String, Object> answer;

    LaunchResponse(Map<String, Object> answer) { this.answer = Collections.unmodifiableMap(answer); }

    public String getGameUrl() { return (String) answer.get("game_url"); }

    public String getSessionId() { return (String) answer.get("session_id"); }

    public String getExpiresAt() { return (String) answer.get("expires_at"); }

    /** The whole parsed answer. */
    public Map<String, Object> toMap() { return answer; }

    @Override
    public String toString() { return "LaunchResponse" + answer; }
}
