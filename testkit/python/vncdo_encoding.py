"""vncdo, offering one encoding of the test's choice.

vncdo has no option for it: its client offers `VNCDoToolClient.encoding` (Raw) and the
pseudo-encodings its options ask for. This sets that class attribute and runs vncdo with the
rest of the command line:

    python vncdo_encoding.py ZRLE -s 127.0.0.1::5901 -p PASSWORD --nocursor capture out.png

ENCODING is a name of vncdotool's `rfb.Encoding` (RAW, COPY_RECTANGLE, HEXTILE, ZRLE, RRE,
CORRE). Raw is always allowed by RFB, so a server may answer CopyRect with Raw rectangles.
"""

import sys

from vncdotool import client, command, rfb


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: vncdo_encoding.py ENCODING VNCDO-ARGS...")
    name = sys.argv[1]
    if name not in rfb.Encoding.__members__:
        sys.exit(f"unknown encoding {name!r}")
    client.VNCDoToolClient.encoding = rfb.Encoding[name]
    command.vncdo(sys.argv[2:])


if __name__ == "__main__":
    main()
