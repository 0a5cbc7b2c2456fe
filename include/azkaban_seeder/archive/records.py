"""The zip records this package writes (`deterministic`) and reads back (`listing`): their
layouts and signatures, from PKWARE APPNOTE 4.3, declared once."""

from __future__ import annotations

import struct

LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header (30 bytes)
CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header (46 bytes)
END = struct.Struct("<IHHHHIIH")  # end of central directory (22 bytes)
END64 = struct.Struct("<IQHHIIQQQQ")  # ZIP64 end of central directory record (56 bytes)
LOCATOR64 = struct.Struct("<IIQI")  # ZIP64 end of central directory locator (20 bytes)

LOCAL_SIG = 0x04034B50
CENTRAL_SIG = 0x02014B50
END_SIG = 0x06054B50
END64_SIG = 0x06064B50
LOCATOR64_SIG = 0x07064B50

UTF8_FLAG = 0x800  # general purpose flag bit 11: the name is UTF-8
MAX_16 = 0xFFFF
MAX_32 = 0xFFFFFFFF
