// The guide's Java quick start, in the servlet handler it is written for, against netspace-mock:
//
//   javac -d build $(find sdks/java/src -name '*.java') examples/quickstarts/java/QuickStart.java
//   NETSPACE_API_URL=http://127.0.0.1:8080 java -cp build QuickStart
//
// The guide's code is the body of a servlet method: it reads request.getRemoteAddr() and calls
// response.sendRedirect(...). Around it this file gives it a request from 127.0.0.1 and a response that
// prints "302 Location: <url>". The guide's code itself is unchanged (indented into the method); the SDK
// reads the base URL from NETSPACE_API_URL.

import one.netspace.sdk.LaunchGameParams;
import one.netspace.sdk.LaunchResponse;
import one.netspace.sdk.NetspaceSDK;

public class QuickStart {
    /** The parts of a servlet's request and response the guide's code uses. */
    static final class Request {
        String getRemoteAddr() { return "127.0.0.1"; }
    }

    static final class Response {
        void sendRedirect(String location) { System.out.println("302 Location: " + location); }
    }

    static void launch(Request request, Response response) {
        // ---- the guide's quick start, as printed ----
        NetspaceSDK netspace = new NetspaceSDK(
            "your-api-key",
            "your-secret-key"
        );

        LaunchResponse session = netspace.launchGame(
            new LaunchGameParams()
                .setSessionId("session-123")
                .setPlayerId("player-456")
                .setGameId("lotterix")
                .setCurrency("USD")
                .setClientIp(request.getRemoteAddr())
        );

        response.sendRedirect(session.getGameUrl());
        // ---- end of the guide's quick start ----
    }

    public static void main(String[] args) {
        launch(new Request(), new Response());
    }
}
