"""A stand-in for the ECB's reference-rate files on loopback, in their exact shape (namespaces, single-quoted
attributes, newest day first), generated from a small fixed table of days.

    with ecb_server() as fake:
        EcbClient(fake.base_url).fetch('daily', CURRENCIES)
        fake.mode = '500'      # or 'malformed', 'html', 'doctype', 'new-code'; 'ok' again to recover
        fake.stop()            # down: the port refuses connections from now on

`days` (newest first) may be replaced to publish other figures; `requests` holds what the client asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from tests.fakes.loopback import Received, Reply, serve

PATH = '/stats/eurofxref'
NEW_CODE = 'HRK'  # a code the ECB publishes that money.CURRENCIES does not hold (withdrawn in 2023)
# (day, [(currency, rate as the ECB writes it)]), newest first; 1 and 2 March 2025 are a weekend.
DAYS: list[tuple[str, list[tuple[str, str]]]] = [
    ('2025-03-04', [('USD', '1.0486'), ('JPY', '156.51'), ('SEK', '11.1340'), ('CHF', '0.9347'),
                    ('GBP', '0.82530'), ('NOK', '11.7695')]),
    ('2025-03-03', [('USD', '1.0465'), ('JPY', '157.35'), ('SEK', '11.1610'), ('CHF', '0.9400'),
                    ('GBP', '0.82620'), ('NOK', '11.7490')]),
    ('2025-02-28', [('USD', '1.0413'), ('JPY', '156.64'), ('SEK', '11.2210'), ('CHF', '0.9383'),
                    ('GBP', '0.82690'), ('NOK', '11.7060')]),
    ('2025-02-27', [('USD', '1.0448'), ('JPY', '156.76'), ('SEK', '11.1800'), ('CHF', '0.9370'),
                    ('GBP', '0.82630'), ('NOK', '11.6515')]),
    ('2025-02-26', [('USD', '1.0487'), ('JPY', '156.76'), ('SEK', '11.1940'), ('CHF', '0.9378'),
                    ('GBP', '0.82830'), ('NOK', '11.6385')]),
]  # fmt: skip
FILES = {f'{PATH}/eurofxref-daily.xml': 1, f'{PATH}/eurofxref-hist-90d.xml': None}  # how many days each holds
_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
\t<gesmes:subject>Reference rates</gesmes:subject>
\t<gesmes:Sender>
\t\t<gesmes:name>European Central Bank</gesmes:name>
\t</gesmes:Sender>
\t<Cube>
"""
_TAIL = '\t</Cube>\n</gesmes:Envelope>\n'
HTML = '<!DOCTYPE html><html><head><title>ECB</title></head><body><p>Maintenance</p></body></html>'
DOCTYPE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'


def ecb_xml(days: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """The file the ECB would serve for these days (newest first, as given)."""
    cubes = []
    for day, rates in days:
        leaves = ''.join(f"\t\t\t<Cube currency='{code}' rate='{rate}'/>\n" for code, rate in rates)
        cubes.append(f"\t\t<Cube time='{day}'>\n{leaves}\t\t</Cube>\n")
    return _HEAD + ''.join(cubes) + _TAIL


@dataclass
class FakeEcb:
    """The server's state; tests set `mode` and `days` and read `requests`."""

    base_url: str = ''
    mode: str = 'ok'
    days: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=lambda: list(DAYS))
    requests: list[Received] = field(default_factory=list)
    stop: Callable[[], object] = lambda: None  # set by ecb_server: takes the server down (connection refused)

    def handle(self, request: Received) -> Reply:
        self.requests.append(request)
        if request.path not in FILES:
            return Reply(404, '<html><body>Not found</body></html>')
        days = self.days[: FILES[request.path]]
        if self.mode == 'new-code':
            days = [(day, [*rates, (NEW_CODE, '7.5345')]) for day, rates in days]
        return {
            'ok': Reply(200, ecb_xml(days)),
            'new-code': Reply(200, ecb_xml(days)),
            '500': Reply(500, 'Internal Server Error'),
            'malformed': Reply(200, ecb_xml(days)[:-40]),
            'html': Reply(200, HTML),
            'doctype': Reply(200, DOCTYPE),
        }[self.mode]


@contextmanager
def ecb_server() -> Iterator[FakeEcb]:
    """The ECB's files on loopback for the duration of the block; `base_url` is what `ecb_base_url` would be."""
    fake = FakeEcb()
    with ExitStack() as running:
        fake.base_url = running.enter_context(serve(fake.handle)) + PATH
        fake.stop = running.close
        yield fake
