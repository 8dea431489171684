package one.netspace.sdk;

import java.util.Map;

/** An error answer of the API (its envelope's code and message), or a failure to reach it (status 0). */
public final class NetspaceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final int status;
    private final Map<String, Object> details;

    NetspaceException(String code, String message, int status, Map<String, Object> details) {
        super(code + " (" + status + "): " + message);
        this.code = code;
        this.status = status;
        this.details = details == null ? Map.of() : details;
    }

    /** e.g. NOT_FOUND, UNAUTHORIZED, INVALID_REQUEST, NETWORK_ERROR */
    public String getCode() { return code; }

    /** The HTTP status; 0 when no answer arrived. */
    public int getStatus() { return status; }

    public Map<String, Object> getDetails() { return details; }
}
