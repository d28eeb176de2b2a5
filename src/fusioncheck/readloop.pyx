# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""The scan's per-read loop, compiled: every read of the windows passes through here.

At panel depth nearly every read of the file sits in a window and nearly none is evidence, so
the loop reads each alignment's fields straight from htslib's record (pysam's ``bam1_t``):
from the flag, the CIGAR and the SA tag it decides whether the read can be evidence (those few
go to Python, to the evidence collector), and it counts every read's coverage itself:

* reads, read lengths, duplicates, spliced and paired reads;
* bases per exon from the aligned blocks, and fragments per exon: each fragment once per exon,
  its records matched by a hash of the read name;
* fragment bases over the junction introns (DNA).

Alignments over a junction exon's edge go to
:meth:`fusioncheck.coverage.Coverage.junction_molecule` (in Python: their molecule keys need the
UMI rules).  The counts land in the coverage's
:class:`~fusioncheck.coverage.Tally` when the chunk is closed.

A fragment's name is *held* while another record of it may still come, so that it counts once
per exon: its mate, up to the mate's start (for a proper pair read whole, up to the fragment's
end, known from TLEN); any record, for the whole window, if the read is split (SA tag,
supplementary records) or secondary records are kept; for the merge, if the mate is on another
reference or before the chunk.  Every ``BATCH`` alignments the names whose records would have
come by now are forgotten.  Two names share a 64-bit hash with probability 2**-64 per pair,
among the few thousand held at a time: negligible.
"""

import logging

from cython.operator cimport dereference as deref, preincrement as inc
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libcpp.unordered_map cimport unordered_map
from libcpp.unordered_set cimport unordered_set
from libcpp.utility cimport pair
from libcpp.vector cimport vector
from pysam.libcalignedsegment cimport AlignedSegment
from pysam.libchtslib cimport bam1_t, bam_get_aux, bam_get_cigar, bam_get_qname

from fusioncheck.errors import InputError
from fusioncheck.filters import READ_FILTERS, read_flag_mask

log = logging.getLogger(__name__)

cdef enum:  # SAM flag bits
    PAIRED = 0x1
    PROPER = 0x2
    UNMAPPED = 0x4
    MATE_UNMAPPED = 0x8
    DUPLICATE = 0x400
    SUPPLEMENTARY = 0x800
    # Paired, properly paired, mate unmapped: a pair is discordant if only the first is set.
    PAIR_BITS = PAIRED | PROPER | MATE_UNMAPPED
    # Bits above the SAM flag: spliced; several aligned blocks; mapping quality too low.
    SPLICED = 1 << 16
    BLOCKS = 1 << 17
    LOW_MAPQ = 1 << 18

cdef enum:  # CIGAR operations
    CMATCH = 0
    CINS = 1
    CDEL = 2
    CREF_SKIP = 3
    CSOFT_CLIP = 4
    CHARD_CLIP = 5
    CEQUAL = 7
    CDIFF = 8

#: Alignments between two clean-ups of the held names.
BATCH = 1 << 15
cdef int64_t FOREVER = 1LL << 62  # held until the end of the window
cdef int64_t NOT_HELD = -1  # expects no other record of its fragment
#: A fragment on an exon is the hash of its read name plus the exon's index times this odd
#: constant (modulo 2**64).
cdef uint64_t MIX = 0x9E3779B97F4A7C15ULL

cdef struct Held:
    int64_t until  # 0-based position by which the fragment's other records have come
    Py_ssize_t exon


def read_chunk(bam, inp, chunk, t, coverage, evidence, removed):
    """Feed the reads of ``chunk`` (a :class:`fusioncheck.reads.Chunk`) to ``coverage`` and
    those that can be evidence to ``evidence``; count in ``removed`` the reads each read
    filter removed."""
    cdef int mask = read_flag_mask(t)
    cdef int64_t anchor = t.min_anchor
    # Reads starting before the chunk are the last chunk's (but for a window's first chunk).
    cdef int64_t before = -1 if chunk.first else chunk.start
    cdef int64_t start, last = 0, n = 0, one_block
    cdef uint32_t flag, n_cigar
    cdef uint32_t *cigar
    cdef bint split
    cdef AlignedSegment read
    cdef bam1_t *b
    contig = inp.style.to_bam(chunk.window.chrom)
    cdef ChunkCounter counter = ChunkCounter(
        coverage, chunk.window.gene, bam.get_tid(contig), before
    )
    for read in bam.fetch(contig, chunk.start, chunk.end):
        b = read._delegate
        start = b.core.pos
        if start < last:
            raise _out_of_order(inp, read)
        last = start
        flag = b.core.flag
        if start < before or flag & mask:
            if start >= before:
                removed[_flag_filter(flag & mask)] += 1
            continue
        n += 1
        if flag & UNMAPPED:  # evidence only
            evidence(read)
            continue
        if flag & SUPPLEMENTARY:  # evidence; exon coverage only
            evidence(read)
            counter.supplementary(read, flag, start)
            continue
        n_cigar = b.core.n_cigar
        cigar = bam_get_cigar(b)
        split = _has_tag(b, b"S", b"A")
        one_block = cigar[0] >> 4 if n_cigar == 1 and _aligned(cigar[0] & 0xF) else 0
        if split or flag & PAIR_BITS == PAIRED or not one_block and _clipped(b, anchor):
            evidence(read)  # split, a discordant pair, or clipped enough to place the clip
        counter.primary(read, flag, start, one_block, split)
    # A whole window: no later read is of its gene; a chunk: keep what the merge needs.
    counter.close(None if chunk.first and chunk.last else chunk.end)
    log.debug("read %d alignments from %s:%d-%d", n, chunk.window.gene, chunk.start, chunk.end)


def _out_of_order(inp, read):
    return InputError(
        f"{inp.path}: reads are out of order at {read.reference_name}:"
        f"{read.reference_start + 1}; the index does not match the file. Re-sort and re-index "
        "it (`samtools sort` then `samtools index`)."
    )


def _flag_filter(bits):
    return next(f.name for f in READ_FILTERS if f.flag & bits)


cdef class ChunkCounter:
    """Counts the alignments of one chunk of one window (in genomic order) into the coverage's
    tally; ``chunk_start``: the 0-based start of the chunk (-1: the whole window)."""

    cdef object tally, coverage, layout, edge_keys
    cdef int64_t tid, chunk_start, min_mapq, edge_lo, edge_hi
    cdef bint keep_names
    cdef vector[int64_t] starts, ends  # exons in genomic order, 1-based closed
    cdef vector[int64_t] bases, fragments  # per exon
    cdef vector[int64_t] intron_lo, intron_hi, intron_bases  # the junction introns
    # Junction exons' edge windows and the exons themselves (1-based closed), one per edge.
    cdef vector[int64_t] window_lo, window_hi, exon_lo, exon_hi
    cdef unordered_set[int64_t] split  # name hashes of split reads seen
    cdef unordered_map[int64_t, Held] held  # fragment on an exon -> how long it is held
    cdef unordered_map[int64_t, int64_t] lengths
    cdef int64_t reads, duplicates, spliced, records
    cdef bint paired

    def __init__(self, coverage, str gene, int64_t tid, int64_t chunk_start):
        self.coverage = coverage
        self.tally = coverage.tally
        self.layout = layout = coverage.layout(gene)
        self.tid, self.chunk_start = tid, chunk_start
        self.min_mapq = coverage.t.min_mapq
        self.edge_lo, self.edge_hi = layout.edge_span
        # Reads with disabled filters may repeat a name (secondary records): hold every name.
        self.keep_names = "secondary" in coverage.t.disabled_filters
        self.starts, self.ends = layout.starts, layout.ends
        self.bases.resize(len(layout.starts))
        self.fragments.resize(len(layout.starts))
        for _, lo, hi in layout.introns:
            self.intron_lo.push_back(lo)
            self.intron_hi.push_back(hi)
        self.intron_bases.resize(len(layout.introns))
        self.edge_keys = [edge.key for edge in layout.edges]
        for edge in layout.edges:
            self.window_lo.push_back(edge.lo)
            self.window_hi.push_back(edge.hi)
            self.exon_lo.push_back(edge.exon.start)
            self.exon_hi.push_back(edge.exon.end)

    cdef primary(self, AlignedSegment read, int64_t flag, int64_t start, int64_t one_block,
                 bint split):
        """A primary alignment; ``one_block``: the length of its single aligned block, or 0 if
        its CIGAR has other operations; ``split``: it has an SA tag."""
        cdef bam1_t *b = read._delegate
        cdef int64_t end, until, tlen, name
        if one_block:
            end = start + one_block
            self.lengths[one_block] += 1
        else:
            end = _reference_end(b)
            self.lengths[_read_length(b)] += 1
            flag |= BLOCKS | (SPLICED if _has_op(b, CREF_SKIP) else 0)
        if b.core.qual < self.min_mapq:
            flag |= LOW_MAPQ
        name = hash(<bytes>bam_get_qname(b))
        tlen = b.core.isize if flag & PROPER else 0
        if split:
            self.split.insert(name)
            until = FOREVER
        elif self.keep_names or self.split.count(name):
            until = FOREVER
        elif tlen and self.chunk_start < 0:
            # A proper pair, read whole: the mate starts within the fragment (the leftmost
            # read) or at most here (the rightmost): no need to read the mate's position.
            until = start + tlen if tlen > 0 else start
        elif flag & (PAIRED | MATE_UNMAPPED) == PAIRED:
            until = b.core.mpos
            if b.core.mtid != self.tid or until < self.chunk_start:
                until = FOREVER
            elif until < start:
                until = NOT_HELD
        else:
            until = NOT_HELD
        self.reads += 1
        if flag & DUPLICATE:
            self.duplicates += 1
        if not flag & (DUPLICATE | LOW_MAPQ):
            self.spliced += flag & SPLICED != 0
            self.paired = self.paired or flag & PAIRED
            self._exons(b, start, end, flag, name, until)
            self._introns(start, end, flag, tlen)
            if start < self.edge_hi and end >= self.edge_lo:
                self._edges(read, start, end, flag)
        self.records += 1
        if self.records >= BATCH:
            self._forget(start)

    cdef supplementary(self, AlignedSegment read, int64_t flag, int64_t start):
        """A supplementary alignment: exon coverage only.  A splice-unaware aligner (BWA-MEM on
        RNA) writes a read across an exon junction as a primary and a supplementary record,
        and the part that touches a junction exon's edge is often the supplementary one."""
        cdef bam1_t *b = read._delegate
        cdef int64_t name = hash(<bytes>bam_get_qname(b))
        self.split.insert(name)
        if flag & DUPLICATE or b.core.qual < self.min_mapq:
            return
        cdef int64_t end = _reference_end(b)
        self._exons(b, start, end, flag | BLOCKS, name, FOREVER)
        self.records += 1
        if start < self.edge_hi and end >= self.edge_lo:
            self._edges(read, start, end, flag | BLOCKS)

    cdef _edges(self, AlignedSegment read, int64_t start, int64_t end, int64_t flag):
        """Molecules over a junction exon's edge: those with aligned bases on the exon and on
        its junction-side window."""
        cdef bam1_t *b = read._delegate
        cdef bint blocks = flag & BLOCKS
        cdef Py_ssize_t k
        for k in range(<Py_ssize_t>self.window_lo.size()):
            if (
                _touches(b, start, end, blocks, self.window_lo[k], self.window_hi[k])
                and _touches(b, start, end, blocks, self.exon_lo[k], self.exon_hi[k])
            ):
                self.coverage.junction_molecule(self.edge_keys[k], read)

    cdef void _exons(self, bam1_t *b, int64_t start, int64_t end, int64_t flag, int64_t name,
                     int64_t until) noexcept:
        """Bases and fragments per exon from the aligned blocks (0-based half-open)."""
        if not flag & BLOCKS:
            self._block(start, end, name, until)
            return
        cdef BlockWalk walk = _walk(b, start)
        cdef int64_t b_start, b_end
        while _next_block(&walk, &b_start, &b_end):
            self._block(b_start, b_end, name, until)

    cdef void _block(self, int64_t b_start, int64_t b_end, int64_t name, int64_t until) noexcept:
        cdef Py_ssize_t i = _first_at_least(self.ends, b_start + 1)
        cdef int64_t key
        cdef unordered_map[int64_t, Held].iterator found
        while i < <Py_ssize_t>self.starts.size() and self.starts[i] <= b_end:
            self.bases[i] += min(b_end, self.ends[i]) - max(b_start + 1, self.starts[i]) + 1
            key = <int64_t>(<uint64_t>name + <uint64_t>i * MIX)
            found = self.held.find(key)
            if found == self.held.end():
                self.held[key] = Held(until=until, exon=i)
                self.fragments[i] += 1
            elif deref(found).second.until < until:
                deref(found).second.until = until
            i += 1

    cdef void _introns(self, int64_t start, int64_t end, int64_t flag, int64_t tlen) noexcept:
        """Fragment bases over the introns where DNA breaks fall: each fragment once, from its
        leftmost mate, over its whole span (the insert counts: a break there is seen too)."""
        cdef bint paired = flag & PAIRED
        if paired and not (flag & PROPER and tlen > 0):
            return
        cdef int64_t first = start + 1, last = start + tlen if paired else end
        cdef Py_ssize_t k
        cdef int64_t overlap
        for k in range(<Py_ssize_t>self.intron_lo.size()):
            overlap = min(self.intron_hi[k], last) - max(self.intron_lo[k], first) + 1
            if overlap > 0:
                self.intron_bases[k] += overlap

    cdef void _forget(self, int64_t position) noexcept:
        """Forget the fragments whose other records would have come before ``position``."""
        cdef unordered_map[int64_t, Held].iterator it = self.held.begin()
        while it != self.held.end():
            if deref(it).second.until < position:
                it = self.held.erase(it)
            else:
                inc(it)
        self.records = 0

    def close(self, end):
        """The chunk's last alignment was handed over; ``end``: the 0-based start from which
        later chunks read (None: no later chunk of this window).  Fragments that may still
        have records there are left open in the tally for :meth:`Tally.merge`."""
        self._forget(FOREVER if end is None else end)
        cdef pair[int64_t, int64_t] length
        cdef pair[int64_t, Held] fragment
        tally, layout = self.tally, self.layout
        tally.reads[layout.gene] += self.reads
        for length in self.lengths:
            tally.lengths[length.first] += length.second
        tally.duplicates += self.duplicates
        tally.spliced += self.spliced
        tally.paired = tally.paired or self.paired
        for i, exon in enumerate(layout.keys):
            if self.bases[i]:
                tally.exon_bases[exon] += self.bases[i]
                tally.exon_fragments[exon] += self.fragments[i]
        for k, (n, _, _) in enumerate(layout.introns):
            tally.intron_bases[(layout.gene, n)] += self.intron_bases[k]
        if end is not None:
            for fragment in self.held:
                tally.open[(layout.keys[fragment.second.exon], fragment.first)] = fragment.second.until


# -- the record, read in place ------------------------------------------------------------------


cdef inline bint _aligned(uint32_t op) noexcept:
    """One base of the read on one base of the reference (M, =, X)."""
    return op == CMATCH or op == CEQUAL or op == CDIFF


cdef bint _touches(bam1_t *b, int64_t start, int64_t end, bint blocks, int64_t lo, int64_t hi
                   ) noexcept:
    """Does an aligned block of the alignment over [start, end) (0-based; ``blocks``: its
    CIGAR has several) overlap ``lo..hi`` (1-based closed)?"""
    if start >= hi or end < lo:
        return False
    if not blocks:
        return True
    cdef BlockWalk walk = _walk(b, start)
    cdef int64_t b_start, b_end
    while _next_block(&walk, &b_start, &b_end):
        if b_start < hi and b_end >= lo:
            return True
    return False


cdef struct BlockWalk:  # a walk over a record's aligned blocks
    uint32_t *cigar
    uint32_t n, k  # operations, and the next one
    int64_t pos  # 0-based reference position of the next operation


cdef inline BlockWalk _walk(bam1_t *b, int64_t start) noexcept:
    return BlockWalk(cigar=bam_get_cigar(b), n=b.core.n_cigar, k=0, pos=start)


cdef bint _next_block(BlockWalk *walk, int64_t *b_start, int64_t *b_end) noexcept:
    """The walk's next aligned block, 0-based half-open (pysam's ``get_blocks``); False after
    the last."""
    cdef uint32_t op, length
    while walk.k < walk.n:
        op, length = walk.cigar[walk.k] & 0xF, walk.cigar[walk.k] >> 4
        walk.k += 1
        if _aligned(op):
            b_start[0] = walk.pos
            walk.pos += length
            b_end[0] = walk.pos
            return True
        if op == CDEL or op == CREF_SKIP:
            walk.pos += length
    return False


cdef bint _clipped(bam1_t *b, int64_t anchor) noexcept:
    """Is either end soft-clipped by ``anchor`` bases or more (enough to place the clip)?
    A read with no CIGAR is looked at by the evidence collector too."""
    cdef uint32_t n = b.core.n_cigar
    cdef uint32_t *cigar = bam_get_cigar(b)
    if n == 0:
        return True
    if cigar[0] & 0xF == CSOFT_CLIP and cigar[0] >> 4 >= anchor:
        return True
    return cigar[n - 1] & 0xF == CSOFT_CLIP and cigar[n - 1] >> 4 >= anchor


cdef bint _has_op(bam1_t *b, uint32_t op) noexcept:
    cdef uint32_t *cigar = bam_get_cigar(b)
    cdef uint32_t k
    for k in range(b.core.n_cigar):
        if cigar[k] & 0xF == op:
            return True
    return False


cdef int64_t _reference_end(bam1_t *b) noexcept:
    """The 0-based end of the alignment on the reference, as htslib's ``bam_endpos`` (its
    start if it has no CIGAR)."""
    cdef uint32_t *cigar = bam_get_cigar(b)
    cdef uint32_t k, op
    cdef int64_t span = 0
    if b.core.n_cigar == 0:
        return b.core.pos
    for k in range(b.core.n_cigar):
        op = cigar[k] & 0xF
        if _aligned(op) or op == CDEL or op == CREF_SKIP:
            span += cigar[k] >> 4
    return b.core.pos + (span if span else 1)


cdef int64_t _read_length(bam1_t *b) noexcept:
    """The read's length with hard clips (pysam's ``infer_read_length``)."""
    cdef uint32_t *cigar = bam_get_cigar(b)
    cdef uint32_t k, op
    cdef int64_t length = 0
    for k in range(b.core.n_cigar):
        op = cigar[k] & 0xF
        if _aligned(op) or op == CINS or op == CSOFT_CLIP or op == CHARD_CLIP:
            length += cigar[k] >> 4
    return length


cdef bint _has_tag(bam1_t *b, char c0, char c1) noexcept:
    """Does the record carry the tag ``c0c1``?  Walks the auxiliary fields (SAM spec 4.2.4)."""
    cdef uint8_t *s = bam_get_aux(b)
    cdef uint8_t *end = b.data + b.l_data
    cdef uint8_t kind
    cdef uint32_t count
    while s + 3 <= end:
        if s[0] == c0 and s[1] == c1:
            return True
        kind = s[2]
        s += 3
        if kind == b"A" or kind == b"c" or kind == b"C":
            s += 1
        elif kind == b"s" or kind == b"S":
            s += 2
        elif kind == b"i" or kind == b"I" or kind == b"f":
            s += 4
        elif kind == b"d":
            s += 8
        elif kind == b"Z" or kind == b"H":
            while s < end and s[0]:
                s += 1
            s += 1
        elif kind == b"B" and s + 5 <= end:
            count = s[1] | s[2] << 8 | s[3] << 16 | <uint32_t>s[4] << 24
            s += 5 + count * _value_size(s[0])
        else:
            return False  # not a valid field: htslib would not find the tag either
    return False


cdef uint32_t _value_size(uint8_t kind) noexcept:
    if kind == b"c" or kind == b"C":
        return 1
    if kind == b"s" or kind == b"S":
        return 2
    return 4  # i, I, f


cdef Py_ssize_t _first_at_least(vector[int64_t] &values, int64_t x) noexcept:
    """The index of the first of the sorted ``values`` at least ``x``."""
    cdef Py_ssize_t lo = 0, hi = values.size(), mid
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo
