"""js_json: the canonical form of a body is what JavaScript's JSON.stringify(JSON.parse(body)) gives,
from a table and, where node is on PATH, from node itself over the same bodies."""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from netspace_mock import js_json, jsonio

NODE = shutil.which("node")

# (raw body, JSON.stringify(JSON.parse(raw)))
TABLE = [
    ('{"a":1}', '{"a":1}'),
    ('{"a": 1, "b": [1, 2]}', '{"a":1,"b":[1,2]}'),
    ('{\n  "a" : 1\n}', '{"a":1}'),
    ('{"amount":50.0}', '{"amount":50}'),
    ('{"amount":50.00}', '{"amount":50}'),
    ('{"amount":10.50}', '{"amount":10.5}'),
    ('{"n":1e21}', '{"n":1e+21}'),
    ('{"n":1E21}', '{"n":1e+21}'),
    ('{"n":1e20}', '{"n":100000000000000000000}'),
    ('{"n":1e-7}', '{"n":1e-7}'),
    ('{"n":1e-6}', '{"n":0.000001}'),
    ('{"n":0.00001}', '{"n":0.00001}'),
    ('{"n":1e-05}', '{"n":0.00001}'),
    ('{"n":-0}', '{"n":0}'),
    ('{"n":-0.0}', '{"n":0}'),
    ('{"n":0.1}', '{"n":0.1}'),
    ('{"n":123.456e2}', '{"n":12345.6}'),
    ('{"n":12345678901234567890}', '{"n":12345678901234567000}'),
    ('{"n":9007199254740993}', '{"n":9007199254740992}'),
    ('{"n":1.7976931348623157e308}', '{"n":1.7976931348623157e+308}'),
    ('{"n":5e-324}', '{"n":5e-324}'),
    ('{"n":1e400}', '{"n":null}'),
    ('{"n":-1.5e-10}', '{"n":-1.5e-10}'),
    ('{"s":"jogador-ção-玩家"}', '{"s":"jogador-ção-玩家"}'),
    ('{"s":"\\u00e7"}', '{"s":"ç"}'),
    ('{"s":"a\\/b"}', '{"s":"a/b"}'),
    ('{"s":"tab\\there\\nline\\u0001"}', '{"s":"tab\\there\\nline\\u0001"}'),
    ('{"s":"quote\\" back\\\\"}', '{"s":"quote\\" back\\\\"}'),
    ('{"s":"\\u2028"}', '{"s":"\u2028"}'),
    ('{"s":"\\ud83d\\ude00"}', '{"s":"😀"}'),
    ('{"b":1,"a":2}', '{"b":1,"a":2}'),
    ('{"b":1,"2":0,"1":0,"01":3}', '{"1":0,"2":0,"b":1,"01":3}'),
    ('{"t":true,"f":false,"z":null}', '{"t":true,"f":false,"z":null}'),
    ("[]", "[]"),
    ("[1, {}, []]", "[1,{},[]]"),
    ('"text"', '"text"'),
    ("  7  ", "7"),
]


@pytest.mark.parametrize(("raw", "expected"), TABLE, ids=[raw for raw, _ in TABLE])
def test_canonical_form_from_the_table(raw, expected):
    assert js_json.canonical(jsonio.loads(raw.encode())) == expected.encode()


@pytest.mark.parametrize(("raw", "expected"), TABLE, ids=[raw for raw, _ in TABLE])
def test_the_fast_encoder_and_the_plain_walk_agree(raw, expected):
    value = jsonio.loads(raw.encode())
    assert js_json.stringify(value) == expected


def test_a_canonical_body_is_its_own_canonical_form():
    for _, expected in TABLE:
        assert js_json.canonical(jsonio.loads(expected.encode())) == expected.encode()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (50.0, "50"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (123.456, "123.456"),
        (-2.5, "-2.5"),
        (float("inf"), "null"),
    ],
)
def test_number_is_number_to_string(value, shown):
    assert js_json.number(value) == shown


def test_first_difference_points_at_the_first_byte_that_differs():
    at, sent, wanted = js_json.first_difference(b'{"amount":50.0}', b'{"amount":50}')
    assert (at, sent, wanted) == (12, 'ount":50.0}', 'ount":50}')


@pytest.mark.skipif(NODE is None, reason="node is not on PATH")
def test_node_gives_the_same_canonical_forms():
    script = (
        "const bodies = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(bodies.map((b) => JSON.stringify(JSON.parse(b)))));"
    )
    bodies = [raw for raw, _ in TABLE]
    done = subprocess.run(
        [NODE, "-e", script], input=json.dumps(bodies), capture_output=True, text=True, timeout=60, check=True
    )
    from_node = json.loads(done.stdout)
    ours = [js_json.canonical(jsonio.loads(raw.encode())).decode() for raw in bodies]
    assert ours == from_node
    assert from_node == [expected for _, expected in TABLE]


@pytest.mark.skipif(NODE is None, reason="node is not on PATH")
def test_node_writes_random_numbers_as_we_do():
    """Each number alone (so each takes the fast encoder or the plain walk on its own) and all in one."""
    draw = random.Random(20)
    numbers = [
        f"{draw.choice(['', '-'])}{draw.randint(0, 10 ** draw.randint(1, 17))}"
        f"{draw.choice(['', '.' + str(draw.randint(0, 10**6)), '.0', '.50'])}"
        f"{draw.choice(['', f'e{draw.randint(-30, 30)}', f'E+{draw.randint(0, 25)}'])}"
        for _ in range(400)
    ]
    bodies = [f'{{"n":{n}}}' for n in numbers] + ["[" + ",".join(numbers) + "]"]
    script = (
        "const bodies = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(bodies.map((b) => JSON.stringify(JSON.parse(b)))));"
    )
    done = subprocess.run(
        [NODE, "-e", script], input=json.dumps(bodies), capture_output=True, text=True, timeout=60, check=True
    )
    ours = [js_json.canonical(jsonio.loads(b.encode())).decode() for b in bodies]
    assert ours == json.loads(done.stdout)
