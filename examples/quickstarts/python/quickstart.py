"""The guide's Python quick start, in the web handler it is written for, against netspace-mock:

    pip install ./sdks/python        # the stand-in SDK: `from netspace import NetspaceSDK`
    NETSPACE_API_URL=http://127.0.0.1:8080 python examples/quickstarts/python/quickstart.py

The guide's code is the body of a Flask-style view: it reads `request.remote_addr` and returns
`redirect(...)`. Around it this file gives it a request from 127.0.0.1 and a redirect that answers
"302 Location: <url>", and prints that answer. The guide's code itself is unchanged (indented into the
view); the SDK reads the base URL from NETSPACE_API_URL.
"""


class Request:
    remote_addr = "127.0.0.1"


request = Request()


def redirect(location: str) -> str:
    return f"302 Location: {location}"


def launch():
    # ---- the guide's quick start, as printed ----
    from netspace import NetspaceSDK

    netspace = NetspaceSDK(
        api_key='your-api-key',
        secret_key='your-secret-key'
    )

    session = netspace.launch_game(
        session_id='session-123',
        player_id='player-456',
        game_id='lotterix',
        currency='USD',
        client_ip=request.remote_addr
    )

    return redirect(session['game_url'])
    # ---- end of the guide's quick start ----


if __name__ == "__main__":
    print(launch())
