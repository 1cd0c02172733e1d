#!/usr/bin/env python3
# Writes the damaged trace.dat files test_trace_dat_errors replays, from the
# fuzz seeds (tests/fuzz/seeds/trace_dat, cut from a real capture with
# trace-cmd split and convert).  Run from this directory; python3 only.
import struct

SEEDS = '../../../fuzz/seeds/trace_dat/'


def v6_rebuild(d, subs=(), header_page_size=None):
    """A version 6 file with text substitutions in its event formats."""
    out = bytearray()
    p = 0

    def take(n):
        nonlocal p
        b = d[p:p + n]
        p += n
        return b
    out += take(10)
    e = d.index(b'\0', p)
    out += take(e + 1 - p)
    out += take(6)
    pg, = struct.unpack_from('<I', d, p - 4)
    out += take(12)
    n, = struct.unpack_from('<Q', d, p)
    if header_page_size is not None:
        take(8)
        out += struct.pack('<Q', header_page_size) + take(n)
        return bytes(out)
    out += take(8 + n)
    out += take(13)
    n, = struct.unpack_from('<Q', d, p)
    out += take(8 + n)
    for system in (False, True):
        if system:
            sy, = struct.unpack_from('<I', d, p)
            out += take(4)
        for _ in range(sy if system else 1):
            if system:
                e = d.index(b'\0', p)
                out += take(e + 1 - p)
            c, = struct.unpack_from('<I', d, p)
            out += take(4)
            for _ in range(c):
                n, = struct.unpack_from('<Q', d, p)
                p += 8
                t = take(n)
                for a, b in subs:
                    t = t.replace(a, b)
                out += struct.pack('<Q', len(t)) + t
    for size in (4, 4, 8):
        n, = struct.unpack_from('<I' if size == 4 else '<Q', d, p)
        out += take(size + n)
    cpus, = struct.unpack_from('<I', d, p)
    out += take(4)
    lab = take(10)
    out += lab
    if lab.startswith(b'options'):
        while True:
            i, = struct.unpack_from('<H', d, p)
            out += take(2)
            if i == 0:
                break
            n, = struct.unpack_from('<I', d, p)
            out += take(4 + n)
        out += take(10)
    table = len(out)
    ents = [struct.unpack_from('<QQ', d, p + 16 * c) for c in range(cpus)]
    out += bytes(16 * cpus)
    for c, (o, s) in enumerate(ents):
        while len(out) % pg:
            out.append(0)
        struct.pack_into('<QQ', out, table + 16 * c, len(out), s)
        out += d[o:o + s]
    return bytes(out)


def v7_walk(d):
    """Option sections, options (id, data offset, size) and the top buffer's CPUs."""
    p = d.index(b'\0', 10) + 1 + 6
    p = d.index(b'\0', p) + 1
    p = d.index(b'\0', p) + 1
    opt, = struct.unpack_from('<Q', d, p)
    secs, opts, cpus = [], [], []
    while opt:
        secs.append(opt)
        q = opt + 16
        while True:
            oid, osz = struct.unpack_from('<HI', d, q)
            opts.append((oid, q + 6, osz))
            if oid == 3:
                r = q + 6 + 8
                r = d.index(b'\0', r) + 1
                r = d.index(b'\0', r) + 1 + 4
                n, = struct.unpack_from('<I', d, r)
                cpus = [r + 4 + 20 * i for i in range(n)]   # id, offset, size
            q += 6 + osz
            if oid == 0:
                opt, = struct.unpack_from('<Q', d, q - 8)
                break
    return secs, opts, cpus


def write(name, data):
    with open(name, 'wb') as f:
        f.write(data)


base6 = open(SEEDS + 'v6-plain.dat', 'rb').read()
plain7 = open(SEEDS + 'v7-plain.dat', 'rb').read()
zstd7 = open(SEEDS + 'v7-zstd.dat', 'rb').read()

# libtraceevent folds "x / 0" while it parses the format: SIGFPE
write('div-zero-parse.dat', v6_rebuild(base6, [(b'REC->pfn, REC->order\n', b'REC->pfn / 0, REC->order\n')]))
# ... and evaluates REC->pfn / REC->order for each record: SIGFPE when order is 0
write('div-field.dat', v6_rebuild(base6, [(b'REC->pfn, REC->order\n', b'REC->pfn / REC->order, REC->order\n')]))
# __print_flags() of a field the format does not declare: NULL dereference while parsing
write('flags-undeclared.dat', v6_rebuild(base6, [(b'unsigned long gfp_flags;', b'unsigned long gfp_falgs;')]))
# header_page says it is 1 TiB: libtracecmd allocates that much before it reads
write('huge-header.dat', v6_rebuild(base6, header_page_size=1 << 40))

secs, opts, cpus = v7_walk(plain7)
d = bytearray(plain7)
off, = struct.unpack_from('<Q', d, cpus[1] + 4)
struct.pack_into('<Q', d, cpus[1] + 4, off + 8)
write('v7-cpu-off-page.dat', d)
d = bytearray(plain7)
struct.pack_into('<Q', d, cpus[1] + 12, 1 << 40)
write('v7-cpu-past-end.dat', d)
d = bytearray(plain7)
off, = struct.unpack_from('<Q', d, cpus[0] + 4)
struct.pack_into('<Q', d, off + 8, 5000)
write('v7-commit.dat', d)
# the first options section links back to itself: libtracecmd recurses without end
d = bytearray(plain7)
last = [o for o in opts if o[0] == 0][0]
struct.pack_into('<Q', d, last[1], secs[0])
write('v7-options-loop.dat', d)
# an option says it holds 4 GiB
d = bytearray(plain7)
o = [o for o in opts if o[0] == 5][0] if any(o[0] == 5 for o in opts) else opts[0]
struct.pack_into('<I', d, o[1] - 4, 0xfffffff0)
write('v7-option-size.dat', d)

secs, opts, cpus = v7_walk(zstd7)
# a CPU count option of 64 with data for 2 CPUs: tep's count is not libtracecmd's
d = bytearray(zstd7)
cc = [o for o in opts if o[0] == 8]
if cc:
    struct.pack_into('<I', d, cc[0][1], 64)
    write('v7-cpucount.dat', d)
off, = struct.unpack_from('<Q', zstd7, cpus[0] + 4)
d = bytearray(zstd7)
struct.pack_into('<I', d, off + 8, 0x7ffff000)   # chunk 0's inflated size
write('v7-chunk-huge.dat', d)
d = bytearray(zstd7)
for i in range(16, 48):
    d[off + 4 + 8 + i] ^= 0x5a
write('v7-chunk-corrupt.dat', d)
