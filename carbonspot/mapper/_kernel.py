"""Compiled (numba) cost model and mapping search used by the ``fast`` mapper.

The vectorised numpy model of :mod:`carbonspot.cost.model` costs many loop nests per call; its
per-call overhead (hundreds of numpy operations) dominates when a layer has hundreds of spatial
candidates. This module evaluates ONE loop nest at a time in compiled scalar code, with the same
formulas in the same order of operations (so the numbers agree to the last bits in practice, and
to 1e-12 relative in the tests), and runs the whole per-layer search — spatial candidates ×
loop orderings — with branch-and-bound:

* every spatial candidate gets a provable lower bound of the objective (:func:`_bound`,
  docs/mapper.md gives the proof); candidates are visited by bound and the search stops at the
  first whose bound exceeds the best objective found;
* within a candidate, each loop ordering is allocated (LOMA's greedy allocator, exactly as
  :func:`carbonspot.mapper.exhaustive.allocate`) and costed in stages — energy, then a latency
  floor, then the full latency — and dropped at the first stage that cannot beat the best.

Ties are broken as the exhaustive search breaks them: between candidates by their rank in the
exhaustive visiting order, between orderings of one candidate by enumeration order.

Index conventions: operands in ``OP_ORDER`` = (O, W, I) → 0, 1, 2; layer dims in ``LOOP_DIMS``
order (B K G C OY OX FY FX) → 0..7; directions fh, tl, fl, th → 0..3.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OP_O, OP_W, OP_I = 0, 1, 2
D_FH, D_TL, D_FL, D_TH = 0, 1, 2, 3
_B, _K, _G, _C, _OY, _OX, _FY, _FX = 0, 1, 2, 3, 4, 5, 6, 7
MAXN = 12  # temporal loops of one nest
MAXL = 8  # memory levels per operand
MAXA = 3 * MAXL * 4  # activities (operand, level, direction)
MAXP = MAXA  # ports

# layer constants ``lc``: strides/dilations over their gcd, input extents, precisions
LC_SY, LC_DY, LC_SX, LC_DX, LC_IYMAX, LC_IXMAX = 0, 1, 2, 3, 4, 5
LC_PIN, LC_PW, LC_PSUM, LC_POUT = 6, 7, 8, 9
LC_SIZE = 10

# objectives
OBJ_EDP, OBJ_ENERGY, OBJ_LATENCY = 0, 1, 2

# flags ``fl``
FL_NO_OUT_DB, FL_HALF_ASSIGN, FL_WL_ONLY, FL_IMC = 0, 1, 2, 3
FL_SIZE = 4

# operand-irrelevant and relevant dims (cost.IR_DIMS / R_DIMS)
IR = np.zeros((3, 8), dtype=np.bool_)
IR[OP_W, [_B, _OY, _OX]] = True
IR[OP_O, [_C, _FY, _FX]] = True
IR[OP_I, [_K]] = True
RR = np.zeros((3, 8), dtype=np.bool_)
RR[OP_W, [_G, _K, _C, _FY, _FX]] = True
RR[OP_O, [_B, _G, _K, _OY, _OX]] = True
RR[OP_I, [_B, _G, _C]] = True


# --------------------------------------------------------------------------------------------
# small helpers (same expressions as cost.py)


@njit(cache=True, error_model="numpy")
def _pr(a, b, sa, sb):
    return a * b - max(0.0, b - sa) * max(0.0, a - sb)


@njit(cache=True, error_model="numpy")
def tile(op, t, lc):
    """Elements of operand ``op`` touched by per-dim extents ``t`` (cost.tile_elements)."""
    if op == OP_W:
        return t[_G] * t[_K] * t[_C] * t[_FY] * t[_FX]
    if op == OP_O:
        return t[_B] * t[_G] * t[_K] * t[_OY] * t[_OX]
    iy = min(lc[LC_IYMAX], _pr(t[_OY], t[_FY], lc[LC_SY], lc[LC_DY]))
    ix = min(lc[LC_IXMAX], _pr(t[_OX], t[_FX], lc[LC_SX], lc[LC_DX]))
    return t[_B] * t[_G] * t[_C] * iy * ix


@njit(cache=True, error_model="numpy")
def _tile_scaled(op, cum_row, bf_row, lc, tmp):
    for d in range(8):
        tmp[d] = cum_row[d] * bf_row[d]
    return tile(op, tmp, lc)


@njit(cache=True, error_model="numpy")
def _prec(op, lc):
    if op == OP_I:
        return lc[LC_PIN]
    if op == OP_W:
        return lc[LC_PW]
    return lc[LC_POUT]


@njit(cache=True, error_model="numpy")
def _pairwise_sum(a, n):
    """numpy's pairwise summation of ``a[:n]`` (the order ``ndarray.sum`` uses up to 128)."""
    if n < 8:
        s = 0.0
        for i in range(n):
            s += a[i]
        return s
    r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
    r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
    i = 8
    while i < n - (n % 8):
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        s += a[i]
        i += 1
    return s


# --------------------------------------------------------------------------------------------
# accelerator / problem description


@njit(cache=True, error_model="numpy")
def build_info(
    frac,
    intu,
    scale,
    n_keep,
    skip,
    mem_has,
    mem_order,
    mem_served,
    mem_size,
    mem_rcost,
    mem_wcost,
    port_bw,
    port_bwmin,
    port_key,
    diag_mem,
    lc,
    info,
):
    """Fill ``info`` with the per-(layer, spatial mapping, level structure) constants.

    Mirrors ``cost._operand_info`` and ``cost._acts_meta``: levels kept (the lowest
    ``n_keep[op]`` holding the operand, minus ``skip[op, mem]``), spatial entries per level,
    below-products, instance counts, fan-out boosts, O-irrelevant entries, the activity list
    and its ports. Returns False when an operand keeps no level.
    """
    (
        nlev, levm, levsz, bf, bi, same, uc, bo, boi, hir,
        acts_i, acts_f, nact_arr, grp_i, grp_f, memgrp, tmp, scratch,
    ) = info  # fmt: skip
    consumed, ef, ei, pk_seen = scratch[0], scratch[1], scratch[2], scratch[3]
    nm = mem_has.shape[0]
    noa = frac.shape[0]
    for op in range(3):
        n = 0
        seen = 0
        for i in range(nm):
            if not mem_has[i, op]:
                continue
            if seen >= n_keep[op]:
                break
            seen += 1
            if skip[op, i]:
                continue
            levm[op, n] = i
            levsz[op, n] = mem_size[i] * (scale if i == diag_mem else 1.0)
            n += 1
        if n == 0:
            return False
        nlev[op] = n
        for oa in range(noa):
            consumed[oa] = False
        for d in range(8):
            bf[op, 0, d] = 1.0
            bi[op, 0, d] = 1.0
        for a in range(n + 1):
            for d in range(8):
                ef[d] = 1.0
                ei[d] = 1.0
            for oa in range(noa):
                if consumed[oa]:
                    continue
                if a < n and not mem_served[levm[op, a], oa]:
                    continue
                consumed[oa] = True
                for d in range(8):
                    ef[d] = ef[d] * frac[oa, d]
                    ei[d] = ei[d] * intu[oa, d]
            h = False
            for d in range(8):
                bf[op, a + 1, d] = bf[op, a, d] * ef[d]
                bi[op, a + 1, d] = bi[op, a, d] * ei[d]
                if IR[OP_O, d] and ef[d] > 1:
                    h = True
            hir[op, a] = h
        sm = True
        for a in range(n + 2):
            for d in range(8):
                if bf[op, a, d] != bi[op, a, d]:
                    sm = False
        same[op] = sm
        for which in range(2):
            bl = bf[op] if which == 0 else bi[op]
            ptop = 1.0
            for d in range(8):
                ptop *= bl[n + 1, d]
            ttop = tile(op, bl[n + 1], lc)
            # uniq[a] = tiles[-1] / tiles[a]
            for a in range(n + 1):
                pa = 1.0
                for d in range(8):
                    pa *= bl[a, d]
                ua = ttop / tile(op, bl[a], lc)
                ub = ttop / tile(op, bl[a + 1], lc)
                if which == 0:
                    uc[op, a] = np.round(ptop / pa)
                    bo[op, a] = np.round(ua / ub)
                else:
                    boi[op, a] = np.round(ua / ub)
    # activities in cost.evaluate's order: O (fl, tl, th, fh), W/I (tl, fh) per level
    na = 0
    nport = 0
    for op in range(3):
        n = nlev[op]
        for m in range(n):
            top = m == n - 1
            for slot in range(4):
                if op == OP_O:
                    dr = (D_FL, D_TL, D_TH, D_FH)[slot]
                    if top and slot >= 2:
                        continue
                else:
                    if slot >= 2:
                        continue
                    dr = (D_TL, D_FH)[slot]
                    if top and slot == 1:
                        continue
                mem = levm[op, m]
                sc = scale if mem == diag_mem else 1.0
                bmax = port_bw[mem, op, dr] * sc
                bmin = port_bwmin[mem, op, dr] * sc
                acts_i[na, 0] = op
                acts_i[na, 1] = m
                acts_i[na, 2] = dr
                key = port_key[mem, op, dr]
                pid = -1
                for q in range(nport):
                    if pk_seen[q] == key:
                        pid = q
                        break
                if pid < 0:
                    pk_seen[nport] = key
                    pid = nport
                    nport += 1
                acts_i[na, 3] = pid
                acts_i[na, 4] = mem
                acts_f[na, 0] = bmin
                acts_f[na, 1] = bmin / bmax
                acts_f[na, 2] = uc[op, m + 1]
                if dr in (D_TL, D_TH):
                    acts_f[na, 3] = mem_rcost[mem]
                else:
                    acts_f[na, 3] = mem_wcost[mem]
                acts_f[na, 4] = bmax  # latency bandwidth: bw × scale
                na += 1
    nact_arr[0] = na
    nact_arr[1] = nport
    # on-/off-loading: a port carrying both inputs is "shared"; O's tl/fh are not loading
    for j in range(na):
        has_i = False
        has_w = False
        for q in range(na):
            if acts_i[q, 3] == acts_i[j, 3]:
                if acts_i[q, 0] == OP_I:
                    has_i = True
                if acts_i[q, 0] == OP_W:
                    has_w = True
        acts_i[j, 5] = 1 if (has_i and has_w) else 0
        excluded = acts_i[j, 0] == OP_O and (acts_i[j, 2] == D_TL or acts_i[j, 2] == D_FH)
        acts_i[j, 6] = 0 if excluded else 1
    # memory groups (allocation order: ascending memory index; members by mem.operands order)
    ng = 0
    for i in range(nm):
        cnt = 0
        for op in range(3):
            for k in range(nlev[op]):
                if levm[op, k] == i:
                    cnt += 1
        if cnt == 0:
            continue
        grp_i[ng, 0] = i
        grp_i[ng, 1] = cnt
        j = 0
        # members sorted by position in mem.operands
        for pos in range(3):
            for op in range(3):
                if mem_order[i, op] != pos:
                    continue
                for k in range(nlev[op]):
                    if levm[op, k] == i:
                        grp_i[ng, 2 + 2 * j] = op
                        grp_i[ng, 3 + 2 * j] = k
                        j += 1
        cap = 0.0
        first = True
        for jj in range(cnt):
            op = grp_i[ng, 2 + 2 * jj]
            k = grp_i[ng, 3 + 2 * jj]
            s = levsz[op, k]
            if first or s > cap:
                cap = s
            first = False
        grp_f[ng] = cap
        for op in range(3):
            for k in range(nlev[op]):
                if levm[op, k] == i:
                    memgrp[op, k] = ng
        ng += 1
    nact_arr[2] = ng
    return True


def new_info():
    """Work arrays for :func:`build_info` (one set per search)."""
    return (
        np.zeros(3, np.int64),  # nlev
        np.zeros((3, MAXL), np.int64),  # levm
        np.zeros((3, MAXL)),  # levsz
        np.ones((3, MAXL + 2, 8)),  # bf
        np.ones((3, MAXL + 2, 8)),  # bi
        np.zeros(3, np.bool_),  # same
        np.zeros((3, MAXL + 1)),  # uc
        np.zeros((3, MAXL + 1)),  # bo
        np.zeros((3, MAXL + 1)),  # boi
        np.zeros((3, MAXL + 1), np.bool_),  # hir
        np.zeros((MAXA, 7), np.int64),  # acts_i: op, m, dir, port, mem, shared, loading
        np.zeros((MAXA, 5)),  # acts_f: bw_min, ratio, units, cost, bw_lat
        np.zeros(3, np.int64),  # nact, nport, ngroups
        np.zeros((3 * MAXL, 8), np.int64),  # groups: mem, count, (op, k) × 3
        np.zeros(3 * MAXL),  # group capacity
        np.zeros((3, MAXL), np.int64),  # memgrp
        np.zeros(8),  # tmp
        (  # scratch of build_info, too_small, bound
            np.zeros(8, np.bool_),
            np.ones(8),
            np.ones(8),
            np.zeros(MAXP, np.int64),
            np.zeros(3 * MAXL),
            np.zeros(3 * MAXL, np.int64),
            np.zeros(3 * MAXL, np.bool_),
            np.zeros(3 * MAXL),
            np.zeros(3 * MAXL, np.int64),
            np.zeros(3 * MAXL, np.int64),
            np.ones(3),
            np.zeros((2, 2)),
            np.zeros((2, 2)),
            np.zeros(MAXA),
            np.zeros(6),
        ),
    )


# --------------------------------------------------------------------------------------------
# one loop nest: allocation and cost


@njit(cache=True, error_model="numpy")
def allocate(dims, N, codes, P, info, tb, lc, cuts, bits_w, cost_w, aw):
    """LOMA's greedy allocator for one nest (mapper.allocate); False if some memory overflows.

    Memories bottom-up; at a memory shared by several operands, the positions of the
    non-top members are chosen jointly: least traffic ``bits × loops above`` among the
    positions that fit, ties to the later combination in C order (as ``mapper.allocate``).
    ``codes[e]`` is the sub-multiset code of the loops below position e (tables ``tb``).
    """
    nlev, levsz, hir = info[0], info[2], info[9]
    grp_i, grp_f = info[13], info[14]
    ng = info[12][2]
    all_o, tf = tb[4], tb[5]
    start, fpos, nf, free, be = aw
    TC = P[N]
    start[0] = 0
    start[1] = 0
    start[2] = 0
    for g in range(ng):
        cnt = grp_i[g, 1]
        cap = grp_f[g] + 1e-9
        forced_bits = 0.0
        forced_ok = True
        nfree = 0
        for j in range(cnt):
            op = grp_i[g, 2 + 2 * j]
            k = grp_i[g, 3 + 2 * j]
            top = k == nlev[op] - 1
            spatial_ir = False
            if op == OP_O:
                for a in range(k + 1, nlev[op] + 1):
                    if hir[op, a]:
                        spatial_ir = True
            size = levsz[op, k] + 1e-9
            p = _prec(op, lc)
            if top:
                # prefix-closed from the start: an overflow before N also fails. Inputs'
                # and weights' tiles only grow with the position, so N alone decides.
                okv = True
                e_first = start[op] if op == OP_O else N
                for e in range(e_first, N + 1):
                    if op == OP_O:
                        p = lc[LC_PSUM] if (spatial_ir or not all_o[codes[e]]) else lc[LC_POUT]
                    b = tf[op, k + 1, codes[e]] * p
                    if b > size:
                        okv = False
                        break
                    if e == N:
                        forced_bits = forced_bits + b
                forced_ok = forced_ok and okv
                continue
            n = 0
            for e in range(start[op], N + 1):
                if op == OP_O:
                    p = lc[LC_PSUM] if (spatial_ir or not all_o[codes[e]]) else lc[LC_POUT]
                b = tf[op, k + 1, codes[e]] * p
                if b > size:
                    break  # prefix-closed: stop at the first overflow
                bits_w[nfree, e] = b
                cost_w[nfree, e] = b * (TC / P[e])
                fpos[nfree, n] = e
                n += 1
            if n == 0:
                return False
            nf[nfree] = n
            free[nfree] = j
            nfree += 1
        if not forced_ok:
            return False
        best = np.inf
        found = False
        # The last free member varies fastest in C order. When its bits never decrease and
        # its traffic never increases over its feasible positions (exact for integer
        # unrollings; checked here), its best position for given outer positions is the
        # last one that fits, which also wins the ties: scan only that one.
        last = nfree - 1
        mono = nfree > 0
        if mono:
            for i in range(1, nf[last]):
                e = fpos[last, i]
                ep = fpos[last, i - 1]
                if bits_w[last, e] < bits_w[last, ep] or cost_w[last, e] > cost_w[last, ep]:
                    mono = False
                    break
        if nfree == 0:
            found = forced_bits <= cap
        elif nfree == 1:
            for i0 in range(nf[0]):
                e0 = fpos[0, i0]
                tb_ = forced_bits + bits_w[0, e0]
                c = 0.0 + cost_w[0, e0]
                if tb_ <= cap and c <= best:
                    best = c
                    found = True
                    be[0] = e0
        elif nfree == 2:
            for i0 in range(nf[0]):
                e0 = fpos[0, i0]
                b0 = forced_bits + bits_w[0, e0]
                c0 = 0.0 + cost_w[0, e0]
                if mono:
                    i1 = nf[1] - 1
                    while i1 >= 0 and b0 + bits_w[1, fpos[1, i1]] > cap:
                        i1 -= 1
                    lo1 = max(i1, 0)
                else:
                    lo1 = 0
                    i1 = nf[1] - 1
                for j1 in range(lo1, i1 + 1):
                    e1 = fpos[1, j1]
                    tb_ = b0 + bits_w[1, e1]
                    c = c0 + cost_w[1, e1]
                    if tb_ <= cap and c <= best:
                        best = c
                        found = True
                        be[0] = e0
                        be[1] = e1
        else:
            for i0 in range(nf[0]):
                e0 = fpos[0, i0]
                b0 = forced_bits + bits_w[0, e0]
                c0 = 0.0 + cost_w[0, e0]
                for i1 in range(nf[1]):
                    e1 = fpos[1, i1]
                    b1 = b0 + bits_w[1, e1]
                    c1 = c0 + cost_w[1, e1]
                    if mono:
                        i2 = nf[2] - 1
                        while i2 >= 0 and b1 + bits_w[2, fpos[2, i2]] > cap:
                            i2 -= 1
                        lo2 = max(i2, 0)
                    else:
                        lo2 = 0
                        i2 = nf[2] - 1
                    for j2 in range(lo2, i2 + 1):
                        e2 = fpos[2, j2]
                        tb_ = b1 + bits_w[2, e2]
                        c = c1 + cost_w[2, e2]
                        if tb_ <= cap and c <= best:
                            best = c
                            found = True
                            be[0] = e0
                            be[1] = e1
                            be[2] = e2
        if not found:
            return False
        fi = 0
        for j in range(cnt):
            op = grp_i[g, 2 + 2 * j]
            k = grp_i[g, 3 + 2 * j]
            if fi < nfree and free[fi] == j:
                e = be[fi]
                fi += 1
            else:
                e = N
            cuts[op, k] = e
            start[op] = e
    return True


@njit(cache=True, error_model="numpy")
def build_tables(v, var_dim, var_size, var_seq, N, info, lc, tb):
    """Sub-multiset tables of LPF variant ``v`` under the level structure ``info``.

    A prefix of a loop nest holds a sub-multiset of the variant's LPFs; code it in mixed
    radix (label l counted 0..mult[l]). Per code: cumulative loop size per dim (a product of
    integers, so exact in any order), their product, whether it holds every O-irrelevant
    LPF (then outputs below are final), and each operand's tile at every data level with the
    fractional and the integer spatial unrolling — exactly the numbers the cost model would
    compute from the prefix itself.
    """
    ncode_a, stride, cum_c, P_c, all_o, tf, ti = tb
    nlev, bf, bi = info[0], info[3], info[4]
    L = 0
    for i in range(N):
        if var_seq[v, i] + 1 > L:
            L = var_seq[v, i] + 1
    mult = np.zeros(max(L, 1), np.int64)
    for i in range(N):
        mult[var_seq[v, i]] += 1
    stride[0] = 1
    for lab in range(L):
        stride[lab + 1] = stride[lab] * (mult[lab] + 1)
    ncode = stride[L] if L > 0 else 1
    ncode_a[0] = ncode
    n_oir = 0
    for lab in range(L):
        if IR[OP_O, var_dim[v, lab]]:
            n_oir += mult[lab]
    o_cnt = np.zeros(ncode, np.int64)
    for d in range(8):
        cum_c[0, d] = 1.0
    P_c[0] = 1.0
    for c in range(1, ncode):
        # lowest label present in c: c = prev + stride[lab]
        lab = 0
        while (c // stride[lab]) % (mult[lab] + 1) == 0:
            lab += 1
        prev = c - stride[lab]
        for d in range(8):
            cum_c[c, d] = cum_c[prev, d]
        dd = var_dim[v, lab]
        cum_c[c, dd] = cum_c[prev, dd] * var_size[v, lab]
        P_c[c] = P_c[prev] * var_size[v, lab]
        o_cnt[c] = o_cnt[prev] + (1 if IR[OP_O, dd] else 0)
    tmp = np.empty(8)
    for c in range(ncode):
        all_o[c] = o_cnt[c] == n_oir
        for op in range(3):
            for a in range(1, nlev[op] + 1):
                for d in range(8):
                    tmp[d] = cum_c[c, d] * bf[op, a, d]
                tf[op, a, c] = tile(op, tmp, lc)
                for d in range(8):
                    tmp[d] = cum_c[c, d] * bi[op, a, d]
                ti[op, a, c] = tile(op, tmp, lc)
    return ncode


MAXC = 4096  # sub-multiset codes of one variant (2^MAXN at most)


def new_tables():
    """Work arrays for :func:`build_tables`."""
    return (
        np.zeros(1, np.int64),
        np.zeros(MAXN + 1, np.int64),
        np.ones((MAXC, 8)),
        np.ones(MAXC),
        np.zeros(MAXC, np.bool_),
        np.zeros((3, MAXL + 2, MAXC)),
        np.zeros((3, MAXL + 2, MAXC)),
    )


def new_alloc_work():
    """Work arrays for :func:`allocate`."""
    return (
        np.zeros(3, np.int64),  # start per operand
        np.zeros((3, MAXN + 1), np.int64),  # feasible positions per free member
        np.zeros(3, np.int64),  # their count
        np.zeros(3, np.int64),  # free member index
        np.zeros(3, np.int64),  # chosen positions
    )


@njit(cache=True, error_model="numpy")
def _cov(i, x, Ps, Ws, Bk):
    if i < 0:
        return 0.0
    p = Ps[i]
    w = Ws[i]
    q = np.floor(x / p)
    r = x - q * p
    rw = min(r, w)
    part = rw + _cov(i - 1, r, Ps, Ws, Bk) - _cov(i - 1, rw, Ps, Ws, Bk)
    blk = Bk[i] if q > 0 else 0.0
    return q * blk + part


@njit(cache=True, error_model="numpy")
def _union(Pv, Wv, PCv, K):
    """cost._union_count for one nest and one port of K activities."""
    Pe = np.empty(K)
    We = np.empty(K)
    any_full = False
    out_full = 0.0
    for k in range(K):
        act = PCv[k] > 0 and Wv[k] > 0
        Pe[k] = Pv[k] if act else 1.0
        We[k] = Wv[k] if act else 0.0
        if act and Wv[k] >= Pv[k] and not any_full:
            any_full = True
            out_full = Pv[k] * PCv[k]
    if any_full:
        return out_full
    # stable argsort of Pe
    order = np.arange(K)
    for a in range(1, K):
        v = order[a]
        b = a - 1
        while b >= 0 and Pe[order[b]] > Pe[v]:
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = v
    Ps = np.empty(K)
    Ws = np.empty(K)
    for k in range(K):
        Ps[k] = Pe[order[k]]
        Ws[k] = We[order[k]]
    pc_max = PCv[order[K - 1]]
    if K <= 5:
        Bk = np.zeros(K)
        for i in range(K):
            p = Ps[i]
            w = Ws[i]
            Bk[i] = w + _cov(i - 1, p, Ps, Ws, Bk) - _cov(i - 1, min(w, p), Ps, Ws, Bk)
        return _cov(K - 1, Ps[K - 1], Ps, Ws, Bk) * pc_max
    frac_unc = 1.0
    for k in range(K):
        frac_unc *= (1 - Ws[k] / Ps[k]) if Ps[k] > 0 else 1.0
    return (1 - frac_unc) * Ps[K - 1] * pc_max


@njit(cache=True, error_model="numpy")
def _loading_sum(rec, acts_i, na, nlev, half_assign, bk):
    """On- and off-loading cycles from the per-transfer cycles ``rec`` (cost._loading).

    On-loading: per input operand, the boundaries' max(write-in, read-out) summed into a
    shared / half-shared / independent bucket by whether their ports carry both inputs; the
    two inputs then overlap as the original does. Off-loading: the output's boundaries summed.
    Monotone non-decreasing in every ``rec`` entry (used by the bounds).
    """
    for q in range(6):
        bk[q] = 0.0
    for bi_ in range(2):
        op = OP_I if bi_ == 0 else OP_W
        n = nlev[op]
        for m in range(n - 1):
            a = 0.0
            b = 0.0
            sa = False
            sb = False
            for j in range(na):
                if acts_i[j, 0] != op:
                    continue
                if acts_i[j, 1] == m and acts_i[j, 2] == D_FH:
                    a = rec[j]
                    sa = acts_i[j, 5] == 1
                if acts_i[j, 1] == m + 1 and acts_i[j, 2] == D_TL:
                    b = rec[j]
                    sb = acts_i[j, 5] == 1
            x = max(a, b)
            if sa and sb:
                bk[3 * bi_] = bk[3 * bi_] + x
            elif (not sa) and (not sb):
                bk[3 * bi_ + 2] = bk[3 * bi_ + 2] + x
            else:
                bk[3 * bi_ + 1] = x if half_assign else bk[3 * bi_ + 1] + x
    s1, h1, i1 = bk[0], bk[1], bk[2]
    s2, h2, i2 = bk[3], bk[4], bk[5]
    onload = min(s1 + max(s2 + h2 + i2, h1 + i1), s2 + max(s1 + h1 + i1, h2 + i2))
    offload = 0.0
    n = nlev[OP_O]
    for m in range(n - 1):
        a = 0.0
        b = 0.0
        for j in range(na):
            if acts_i[j, 0] != OP_O:
                continue
            if acts_i[j, 1] == m and acts_i[j, 2] == D_TH:
                a = rec[j]
            if acts_i[j, 1] == m + 1 and acts_i[j, 2] == D_FL:
                b = rec[j]
        offload = offload + max(a, b)
    return onload, offload


@njit(cache=True, error_model="numpy")
def _energy_words(a_f, pbs, pcs, acts_f, words, ework, na):
    """Words moved per transfer and the memory energy (pJ), as cost.evaluate."""
    for j in range(na):
        if a_f[j] > 0 and pbs[j] > 0:
            bmin = acts_f[j, 0]
            words[j] = np.floor(
                np.ceil(a_f[j] * pbs[j] / bmin - 1e-9) * acts_f[j, 1] * pcs[j] * acts_f[j, 2] + 1e-6
            )
        else:
            words[j] = 0.0
        ework[j] = words[j] * acts_f[j, 3]
    return _pairwise_sum(ework, na)


@njit(cache=True, error_model="numpy")
def evaluate(
    dims, N, codes, P, cuts, info, tb, lc, fl, consts, stage, cutoff, strict, obj, wk, detail
):
    """Cost one allocated nest (cost.evaluate); staged, returning early when it cannot win.

    ``consts`` = (array energy pJ, cycles per op, rows_total, group_depth, latency floor).
    ``stage`` 0 costs everything. Otherwise the nest is dropped (returns ``inf``) as soon as a
    lower bound of the objective exceeds ``cutoff`` (or equals it when ``strict``).
    Returns the objective; ``detail`` (if given) receives energy, latency parts and words.
    """
    nlev, levm, levsz, bf, bi, same, uc, bo, boi, hir = info[:10]
    acts_i, acts_f, nact_arr, memgrp = info[10], info[11], info[12], info[15]
    tf, ti = tb[5], tb[6]
    (
        nn, cutm, top_ir, top_r, cel, data_f, data_i, psum, pbits,
        a_f, a_i, pdur, pcs, pbs, words, ework, wlat, real, pcl, ss, db, _lw,
    ) = wk  # fmt: skip
    arr_e, cpo, rows_total, gdepth, lat_floor = (
        consts[0],
        consts[1],
        consts[2],
        consts[3],
        consts[4],
    )
    TC = P[N]
    # ---- per operand: merged cuts, periods, data per level, precision
    for op in range(3):
        n = nlev[op]
        nn[op, N] = N
        for i in range(N - 1, -1, -1):
            nn[op, i] = nn[op, i + 1] if IR[op, dims[i]] else i
        for k in range(n - 1):
            cutm[op, k] = nn[op, cuts[op, k]]
        cutm[op, n - 1] = N
        cel[op, 0] = P[nn[op, 0]] if op != OP_O else 1.0
        for a in range(1, n + 1):
            cel[op, a] = P[cutm[op, a - 1]]
        data_f[op, 0] = 1.0
        data_i[op, 0] = 1.0
        for a in range(1, n + 1):
            code = codes[cutm[op, a - 1]]
            data_f[op, a] = np.round(tf[op, a, code])
            if same[op]:
                data_i[op, a] = data_f[op, a]
            else:
                data_i[op, a] = np.round(ti[op, a, code])
        if op == OP_O:
            last_ir = 0
            for e in range(N):
                if IR[OP_O, dims[e]]:
                    last_ir = e + 1
            for a in range(n + 1):
                psum[a] = False
            for a in range(n):
                s = 0 if a == 0 else cutm[op, a - 1]
                h = False
                for b in range(a + 1, n + 1):
                    if hir[op, b]:
                        h = True
                psum[a] = last_ir > s or h
            for a in range(n + 1):
                pbits[op, a] = lc[LC_PSUM] if psum[a] else lc[LC_POUT]
        else:
            p = _prec(op, lc)
            for a in range(n + 1):
                pbits[op, a] = p
    # ---- transfers per activity
    na = nact_arr[0]
    for j in range(na):
        op = acts_i[j, 0]
        m = acts_i[j, 1]
        dr = acts_i[j, 2]
        if op != OP_O:
            if dr == D_TL:
                a_f[j] = data_f[op, m] * bo[op, m]
                a_i[j] = data_i[op, m] * boi[op, m]
                pdur[j] = cel[op, m]
                pbs[j] = pbits[op, m]
            else:  # fh
                a_f[j] = data_f[op, m + 1]
                a_i[j] = data_i[op, m + 1]
                pdur[j] = cel[op, m + 1]
                pbs[j] = pbits[op, m + 1]
            pcs[j] = TC // pdur[j]
        else:
            if dr in (D_FL, D_TL):
                af = np.floor(data_f[op, m] * bo[op, m])
                ai = np.floor(data_i[op, m] * boi[op, m])
                pdur[j] = cel[op, m]
                pc = TC // pdur[j]
                pbs[j] = pbits[op, m]
                if dr == D_TL and not psum[m]:
                    af = 0.0
                    ai = 0.0
                    pc = 0.0
            else:  # th, fh
                af = data_f[op, m + 1]
                ai = data_i[op, m + 1]
                pdur[j] = cel[op, m + 1]
                pc = TC // pdur[j]
                pbs[j] = pbits[op, m + 1]
                if dr == D_FH and not psum[m + 1]:
                    af = 0.0
                    ai = 0.0
                    pc = 0.0
            a_f[j] = af
            a_i[j] = ai
            pcs[j] = pc
    ideal = TC * cpo
    # ---- energy (for the latency objective, only once the latency floors pass)
    energy = 0.0
    mem_e = 0.0
    defer = stage != 0 and obj == OBJ_LATENCY
    if not defer:
        mem_e = _energy_words(a_f, pbs, pcs, acts_f, words, ework, na)
        energy = arr_e + mem_e
        if stage != 0:
            lb = energy + 1e-12 * lat_floor if obj == OBJ_ENERGY else lat_floor * energy
            if lb > cutoff or (strict and lb == cutoff):
                return np.inf
    # ---- latency: the top runs of each level (windows, double buffering)
    for op in range(3):
        n = nlev[op]
        top_ir[op, 0] = 1.0
        top_r[op, 0] = 1.0
        for k in range(n):
            e = cutm[op, k]
            s0 = 0 if k == 0 else cutm[op, k - 1]
            rs_ir = e
            while rs_ir > 0 and IR[op, dims[rs_ir - 1]]:
                rs_ir -= 1
            rs_r = e
            while rs_r > 0 and RR[op, dims[rs_r - 1]]:
                rs_r -= 1
            top_ir[op, k + 1] = P[e] / P[max(rs_ir, s0)]
            top_r[op, k + 1] = P[e] / P[max(rs_r, s0)]
    # ---- latency: double buffering
    (
        shared, eff, cnt, Pv, Wv, PCv, muw, posv, negv, rec_val, tot, lo, red, ent, bk,
    ) = wk[21]  # fmt: skip
    ngrp = nact_arr[2]
    for g in range(ngrp):
        shared[g] = 0.0
    for op in range(3):
        for m in range(nlev[op]):
            bits = data_f[op, m + 1] * pbits[op, m + 1]
            eff[op, m] = np.floor(bits / top_r[op, m + 1]) / levsz[op, m]
    for op in range(3):
        for m in range(nlev[op]):
            shared[memgrp[op, m]] = shared[memgrp[op, m]] + eff[op, m]
    for op in range(3):
        db[op, 0] = False
        for m in range(nlev[op]):
            db[op, m + 1] = False
            if op == OP_O and fl[FL_NO_OUT_DB]:
                continue
            g = memgrp[op, m]
            sh = shared[g]
            ind = eff[op, m]
            f1 = sh <= 0.5
            f2 = (not f1) and (ind <= 1 - sh)
            db[op, m + 1] = f1 or f2
            if f2:
                shared[g] = shared[g] + ind
    stall_floor = 0.0
    for j in range(na):
        op = acts_i[j, 0]
        m = acts_i[j, 1]
        dr = acts_i[j, 2]
        idx = m if (dr in (D_TL, D_FL)) else m + 1
        w = pdur[j] if db[op, idx] else np.floor(pdur[j] / top_ir[op, idx])
        w = np.ceil(w * cpo - 1e-9)
        wlat[j] = w
        if a_i[j] > 0:
            real[j] = np.ceil(a_i[j] * pbs[j] / acts_f[j, 4] - 1e-9)
            pcl[j] = pcs[j]
        else:
            real[j] = 0.0
            pcl[j] = 0.0
        ss[j] = (real[j] - w) * max(pcl[j] - 1, 0.0) if pcl[j] > 0 else 0.0
    # a port's stall is at least the sum of its transfers' positive stalls (bound L1)
    for q in range(nact_arr[1]):
        Pv[q] = 0.0
    for j in range(na):
        if ss[j] > 0:
            Pv[acts_i[j, 3]] += ss[j]
    for q in range(nact_arr[1]):
        if Pv[q] > stall_floor:
            stall_floor = Pv[q]
    stall_floor *= 1.0 - 1e-12
    wl = 0.0
    if fl[FL_IMC] and nlev[OP_W] >= 2:
        for j in range(na):
            if acts_i[j, 0] == OP_W and acts_i[j, 1] == 0 and acts_i[j, 2] == D_FH:
                wl = pcl[j] * rows_total * gdepth
    if fl[FL_IMC]:
        stall_floor = wl if fl[FL_WL_ONLY] else max(stall_floor, wl)
    if stage != 0:
        # on-/off-loading floors: a transfer is never reduced below min(real, one innermost
        # tile per word), and the buckets are monotone (docs/mapper.md, bound L2)
        for j in range(na):
            if acts_i[j, 6] == 0 or pcl[j] == 0:
                rec_val[j] = 0.0
            elif pcl[j] == 1:
                op = acts_i[j, 0]
                mn = np.ceil(data_i[op, 1] * pbits[op, 1] / acts_f[j, 4] - 1e-9)
                rec_val[j] = min(real[j], mn)
            else:
                rec_val[j] = real[j]
        on_lb, off_lb = _loading_sum(rec_val, acts_i, na, nlev, fl[FL_HALF_ASSIGN], bk)
        lat_lb = ideal + stall_floor + on_lb + off_lb
        if obj == OBJ_ENERGY:
            lb = energy + 1e-12 * lat_lb
        elif obj == OBJ_EDP:
            lb = lat_lb * energy
        else:
            lb = lat_lb  # + 1e-12 x energy >= 0, not yet computed
        if lb > cutoff or (strict and lb == cutoff):
            return np.inf
    if defer:
        mem_e = _energy_words(a_f, pbs, pcs, acts_f, words, ework, na)
        energy = arr_e + mem_e
    # ---- stalls per port
    nport = nact_arr[1]
    ss_comb = 0.0
    for q in range(nport):
        cnt[q] = 0
    for j in range(na):
        cnt[acts_i[j, 3]] += 1
    single_max = -np.inf
    has_single = False
    for j in range(na):
        if cnt[acts_i[j, 3]] == 1:
            has_single = True
            if ss[j] > single_max:
                single_max = ss[j]
    if has_single:
        ss_comb = max(ss_comb, single_max)
    for q in range(nport):
        if cnt[q] <= 1:
            continue
        K = np.int64(0)
        for j in range(na):
            if acts_i[j, 3] != q:
                continue
            Pv[K] = np.ceil(pdur[j] * cpo)
            Wv[K] = wlat[j]
            PCv[K] = pcl[j]
            muw[K] = wlat[j] * max(pcl[j] - 1, 0.0) if pcl[j] > 0 else 0.0
            posv[K] = ss[j] if ss[j] > 0 else 0.0
            negv[K] = ss[j] if ss[j] < 0 else 0.0
            K += 1
        un = _union(Pv, Wv, PCv, K)
        pos = _pairwise_sum(posv, K)
        neg = _pairwise_sum(negv, K)
        ss_comb = max(ss_comb, pos + max(0.0, neg + _pairwise_sum(muw, K) - un))
    stall = (wl if fl[FL_WL_ONLY] else max(ss_comb, wl)) if fl[FL_IMC] else ss_comb
    # ---- on-/off-loading
    comp = ideal + stall
    for j in range(na):
        rec_val[j] = 0.0
    for q in range(nport):
        K = np.int64(0)
        for j in range(na):
            if acts_i[j, 3] == q and acts_i[j, 6] == 1:
                ent[K] = j
                K += 1
        if K == 0:
            continue
        req = 0.0
        for kk in range(K):
            j = ent[kk]
            avg = np.floor(a_i[j] * pbs[j] / pdur[j])
            req = req + (np.ceil(avg / cpo) if pcl[j] > 1 else 0.0)
        bw_max = acts_f[ent[0], 4]
        surplus = max(0.0, (bw_max - req) / bw_max * comp)
        anyred = False
        for kk in range(K):
            j = ent[kk]
            op = acts_i[j, 0]
            tot[kk] = 0.0 if pcl[j] == 0 else real[j]
            mn = min(real[j], np.ceil(data_i[op, 1] * pbits[op, 1] / acts_f[j, 4] - 1e-9))
            red[kk] = pcl[j] == 1
            lo[kk] = mn if red[kk] else tot[kk]
            if red[kk]:
                anyred = True
        if K == 1 or not anyred:
            for kk in range(K):
                rec_val[ent[kk]] = max(lo[kk], tot[kk] - surplus) if red[kk] else tot[kk]
        else:
            # zigzag-dse 3.9.1's reduce_ordered (cost._reduce_ordered): the surplus shortens
            # the transfers largest first (ties: I, W, O, then activity order), each down to
            # its floor, until it is spent; the keys are visited in decreasing order
            left = surplus
            pt, pr_, pk = np.inf, -1, -1
            for _ in range(K):
                bk_ = -1
                for kk in range(K):
                    rk = 2 - acts_i[ent[kk], 0]
                    # keys (tot desc, rank asc, index asc) strictly after the previous one
                    after = tot[kk] < pt or (
                        tot[kk] == pt and (rk > pr_ or (rk == pr_ and kk > pk))
                    )
                    if not after:
                        continue
                    if bk_ < 0:
                        bk_ = kk
                        continue
                    rb = 2 - acts_i[ent[bk_], 0]
                    if tot[kk] > tot[bk_] or (tot[kk] == tot[bk_] and rk < rb):
                        bk_ = kk
                cut = min(max(0.0, tot[bk_] - lo[bk_]), max(left, 0.0))
                rec_val[ent[bk_]] = tot[bk_] - cut
                left -= cut
                pt, pr_, pk = tot[bk_], 2 - acts_i[ent[bk_], 0], bk_
    onload, offload = _loading_sum(rec_val, acts_i, na, nlev, fl[FL_HALF_ASSIGN], bk)
    total0 = ideal + stall
    total2 = total0 + onload + offload
    if obj == OBJ_EDP:
        val = total2 * energy
    elif obj == OBJ_ENERGY:
        val = energy + 1e-12 * total2
    else:
        val = total2 + 1e-12 * energy
    if detail.shape[0] > 0:
        detail[0] = energy
        detail[1] = mem_e
        detail[2] = total0
        detail[3] = total2
        detail[4] = ideal
        detail[5] = stall
        detail[6] = onload
        detail[7] = offload
        for j in range(na):
            detail[8 + j] = words[j]
    return val


def new_work():
    """Work arrays for :func:`evaluate`."""
    return (
        np.zeros((3, MAXN + 1), np.int64),  # nn
        np.zeros((3, MAXL), np.int64),  # cutm
        np.ones((3, MAXL + 1)),  # top_ir
        np.ones((3, MAXL + 1)),  # top_r
        np.ones((3, MAXL + 1)),  # cel
        np.ones((3, MAXL + 1)),  # data_f
        np.ones((3, MAXL + 1)),  # data_i
        np.zeros(MAXL + 1, np.bool_),  # psum (O)
        np.zeros((3, MAXL + 1)),  # pbits
        np.zeros(MAXA),  # a_f
        np.zeros(MAXA),  # a_i
        np.zeros(MAXA),  # pdur
        np.zeros(MAXA),  # pc
        np.zeros(MAXA),  # pb
        np.zeros(MAXA),  # words
        np.zeros(MAXA),  # energy per activity
        np.zeros(MAXA),  # w (latency window)
        np.zeros(MAXA),  # real
        np.zeros(MAXA),  # pcl
        np.zeros(MAXA),  # ss
        np.zeros((3, MAXL + 1), np.bool_),  # db
        _latency_work(),
    )


def _latency_work():
    return (
        np.zeros(3 * MAXL),  # shared (per memory group)
        np.zeros((3, MAXL)),  # eff
        np.zeros(MAXP, np.int64),  # activities per port
        np.zeros(MAXA),  # Pv
        np.zeros(MAXA),  # Wv
        np.zeros(MAXA),  # PCv
        np.zeros(MAXA),  # muw
        np.zeros(MAXA),  # pos
        np.zeros(MAXA),  # neg
        np.zeros(MAXA),  # rec_val
        np.zeros(MAXA),  # tot
        np.zeros(MAXA),  # lo
        np.zeros(MAXA, np.bool_),  # reducible
        np.zeros(MAXA, np.int64),  # entries
        np.zeros(6),  # buckets
    )


# --------------------------------------------------------------------------------------------
# loop prime factors (mapper.lpf_variants / loop_prime_factors, compiled)

# ZigZag's loop order (LOOP_DIMS indices of B K G OX OY C FX FY): the LPF tie-break order
ZZ_DIMS = np.array([0, 1, 2, 5, 4, 3, 7, 6], np.int64)
LPF_LIMIT = 6
MAXF = 64  # prime factors of one loop dim


@njit(cache=True, error_model="numpy")
def _prime_factors(n, out):
    k = 0
    i = 2
    while i * i <= n:
        while n % i == 0:
            out[k] = i
            k += 1
            n //= i
        i += 1
    if n > 1:
        out[k] = n
        k += 1
    return k


@njit(cache=True, error_model="numpy")
def _merged(fs, n, r, out):
    """A dim's factors after r merges of its two smallest (sorted ascending); returns count."""
    for i in range(n):
        out[i] = fs[i]
    m = n
    for _ in range(r):
        a = out[0] * out[1]
        for i in range(2, m):
            out[i - 2] = out[i]
        m -= 2
        # insert a keeping ascending order
        j = m
        while j > 0 and out[j - 1] > a:
            out[j] = out[j - 1]
            j -= 1
        out[j] = a
        m += 1
    return m


@njit(cache=True, error_model="numpy")
def _set_insert(tab, key):
    """Insert ``key >= 0`` into the open-addressing table ``tab`` (-1 = empty, size a power
    of two, never full); False when it was there. (A numba ``set`` costs ~10 s to compile.)"""
    mask = tab.shape[0] - 1
    s = np.int64(_mix(np.uint64(key)) & np.uint64(mask))
    while True:
        v = tab[s]
        if v == key:
            return False
        if v < 0:
            tab[s] = key
            return True
        s = (s + 1) & mask


@njit(cache=True, error_model="numpy")
def _grown(tab):
    """The keys of ``tab`` in a table twice its size."""
    out = np.full(2 * tab.shape[0], -1, np.int64)
    for i in range(tab.shape[0]):
        if tab[i] >= 0:
            _set_insert(out, tab[i])
    return out


@njit(cache=True, error_model="numpy")
def lpf_variants(T, single, cap_dim, cap_size, cap_seq, cap_n, start, cap):
    """Every LPF merge LOMA can produce for temporal sizes ``T`` (mapper.lpf_variants), or
    LOMA's single merge order (mapper.loop_prime_factors) when ``single``; same order.

    A state is the number of merges per dim (a dim's factor list after r merges of its two
    smallest is fixed). Variants go to ``cap_*[start:]`` as label tables (distinct
    (dim, size) by ZigZag dim order then size; sorted label sequence). Returns the number
    written, or -1 when ``cap`` rows do not suffice.
    """
    nd = 0
    dims = np.empty(8, np.int64)
    fac = np.empty((8, MAXF), np.int64)
    nf = np.empty(8, np.int64)
    tmp = np.empty(MAXF, np.int64)
    for q in range(8):
        d = ZZ_DIMS[q]
        t = int(T[d])
        if t > 1:
            dims[nd] = d
            nf[nd] = _prime_factors(t, tmp)
            for i in range(nf[nd]):
                fac[nd, i] = tmp[i]
            nd += 1
    total = 0
    for i in range(nd):
        total += nf[i]
    limit = max(LPF_LIMIT, nd)
    written = 0
    # stack of merge-count vectors; seen set of encoded vectors
    stack = np.zeros((4096, 8), np.int64)
    sp = 1
    seen = np.full(1024, -1, np.int64)  # open-addressing set of visited keys (-1 = empty)
    n_seen = 0
    radix = np.ones(8, np.int64)
    for i in range(1, nd):
        radix[i] = radix[i - 1] * (nf[i - 1] + 1)
    cur = np.empty(8, np.int64)
    while sp > 0:
        sp -= 1
        for i in range(nd):
            cur[i] = stack[sp, i]
        key = np.int64(0)
        for i in range(nd):
            key += cur[i] * radix[i]
        if 2 * (n_seen + 1) > seen.shape[0]:
            seen = _grown(seen)
        if not _set_insert(seen, key):
            continue
        n_seen += 1
        cnt = 0
        most = 0
        for i in range(nd):
            c = nf[i] - cur[i]
            cnt += c
            if c > most:
                most = c
        if cnt <= limit:
            if start + written >= cap:
                return -1
            row = start + written
            n = 0
            lab = -1
            prev_d = -1
            prev_f = -1
            for i in range(nd):
                m = _merged(fac[i], nf[i], cur[i], tmp)
                for j in range(m):
                    if dims[i] != prev_d or tmp[j] != prev_f:
                        lab += 1
                        cap_dim[row, lab] = dims[i]
                        cap_size[row, lab] = tmp[j]
                        prev_d = dims[i]
                        prev_f = tmp[j]
                    cap_seq[row, n] = lab
                    n += 1
            cap_n[row] = n
            written += 1
            if single:
                break
            continue
        # branch over the dims with the most factors (the first one is explored first)
        if single:
            for i in range(nd):
                if nf[i] - cur[i] == most:
                    for q in range(nd):
                        stack[sp, q] = cur[q]
                    stack[sp, i] += 1
                    sp += 1
                    break
            continue
        for i in range(nd - 1, -1, -1):
            if nf[i] - cur[i] == most:
                if sp >= stack.shape[0]:
                    return -1
                for q in range(nd):
                    stack[sp, q] = cur[q]
                stack[sp, i] += 1
                sp += 1
    return written


# --------------------------------------------------------------------------------------------
# level bypass, lower bounds


@njit(cache=True, error_model="numpy")
def too_small(info, lc, skip):
    """cost.too_small_levels: per memory, bypass operands (largest tile first) until the
    spatial tiles alone fit. Fills ``skip[op, mem]``; returns True if anything is bypassed."""
    nlev, levm, levsz, bf = info[0], info[1], info[2], info[3]
    tmp = info[16]
    nm = skip.shape[1]
    for op in range(3):
        for i in range(nm):
            skip[op, i] = False
    any_skip = False
    scratch = info[17]
    bits, rank, tops, szs, ops, idx = (
        scratch[4],
        scratch[5],
        scratch[6],
        scratch[7],
        scratch[8],
        scratch[9],
    )  # rank: op name order I < O < W
    for i in range(nm):
        n = 0
        for op in range(3):
            for k in range(nlev[op]):
                if levm[op, k] != i:
                    continue
                for d in range(8):
                    tmp[d] = bf[op, k + 1, d]
                p = lc[LC_PSUM] if op == OP_O else _prec(op, lc)
                bits[n] = tile(op, tmp, lc) * p
                rank[n] = 1 if op == OP_O else (2 if op == OP_W else 0)
                tops[n] = k == nlev[op] - 1
                szs[n] = levsz[op, k]
                ops[n] = op
                n += 1
        if n == 0:
            continue
        cap = szs[0]
        for a in range(1, n):
            cap = max(cap, szs[a])
        # sort descending by (bits, name, top, size), as sorted(items, reverse=True)
        for a in range(n):
            idx[a] = a
        for a in range(1, n):
            v = idx[a]
            b = a - 1
            while b >= 0:
                u = idx[b]
                gt = False  # item v > item u ?
                if bits[v] != bits[u]:
                    gt = bits[v] > bits[u]
                elif rank[v] != rank[u]:
                    gt = rank[v] > rank[u]
                elif tops[v] != tops[u]:
                    gt = tops[v]
                else:
                    gt = szs[v] > szs[u]
                if not gt:
                    break
                idx[b + 1] = u
                b -= 1
            idx[b + 1] = v
        total = 0.0
        for a in range(n):
            total += bits[idx[a]]
        for a in range(n):
            j = idx[a]
            if total <= cap:
                break
            if not tops[j]:
                skip[ops[j], i] = True
                any_skip = True
                total -= bits[j]
    return any_skip


@njit(cache=True, error_model="numpy")
def _words(a, pb, bmin, ratio, pc, units):
    if a > 0 and pb > 0:
        return np.floor(np.ceil(a * pb / bmin - 1e-9) * ratio * pc * units + 1e-6)
    return 0.0


@njit(cache=True, error_model="numpy")
def _words_lb(ap, pb, bmin, ratio, tc, units):
    """Lower bound of ``_words`` when only ``a·pc >= ap`` and ``pc <= tc`` are known.

    ceil(y) >= y, floor is monotone: words >= floor(ap·pb/bmin·ratio·units − 1e-9·ratio·tc·units
    + 1e-6) (docs/mapper.md, bound B2)."""
    if ap <= 0 or pb <= 0:
        return 0.0
    x = ap * pb / bmin * ratio * units - 1e-9 * ratio * tc * units + 1e-6
    return max(0.0, np.floor(x))


@njit(cache=True, error_model="numpy")
def _ss(real, w, pcl):
    return (real - w) * max(pcl - 1, 0.0) if pcl > 0 else 0.0


@njit(cache=True, error_model="numpy")
def bound(info, T, lc, fl, consts, obj, out):
    """Lower bounds, valid for every loop ordering of this spatial mapping (docs/mapper.md).

    ``T`` holds the temporal loop size per dim. Writes to ``out`` the energy and latency
    bounds, then their parts reused by the refined bounds: array + output level-0 energy,
    output level-0 stall, input level-0 energy and stall (best stationarity), the on-/off-
    loading floor. Returns the objective bound.
    """
    nlev, levm, levsz, bf, bi, same, uc, bo, boi, hir = info[:10]
    acts_i, acts_f, nact_arr, tmp = info[10], info[11], info[12], info[16]
    arr_e, cpo, rows_total, gdepth = consts[0], consts[1], consts[2], consts[3]
    TC = 1.0
    for d in range(8):
        TC *= T[d]
    scratch = info[17]
    maxstat = scratch[10]
    for op in range(3):
        maxstat[op] = 1.0
    o_ir_t = False
    for op in range(3):
        for d in range(8):
            if IR[op, d]:
                maxstat[op] *= T[d]
                if op == OP_O and T[d] > 1:
                    o_ir_t = True
    na = nact_arr[0]
    energy = arr_e
    e_level0_o = 0.0
    e_iw = scratch[11]  # [I/W][stat = 1 / max]: level-0 read energy
    s_iw = scratch[12]  # same for the stall
    for q in range(2):
        for s in range(2):
            e_iw[q, s] = 0.0
            s_iw[q, s] = 0.0
    ss_o = 0.0
    for j in range(na):
        op = acts_i[j, 0]
        m = acts_i[j, 1]
        dr = acts_i[j, 2]
        bmin, ratio, units, cost, bwl = (
            acts_f[j, 0], acts_f[j, 1], acts_f[j, 2], acts_f[j, 3], acts_f[j, 4]
        )  # fmt: skip
        n = nlev[op]
        if m == 0 and (dr in (D_TL, D_FL)):
            # B1: level-0 transfers are fixed by the spatial mapping and the stationarity
            if op == OP_O:
                h = o_ir_t
                for b in range(1, n + 1):
                    if hir[op, b]:
                        h = True
                if dr == D_TL and not h:
                    continue
                pb = lc[LC_PSUM] if h else lc[LC_POUT]
                af = np.floor(bo[op, 0])
                ai = np.floor(boi[op, 0])
                e_o0 = _words(af, pb, bmin, ratio, TC, units) * cost
                energy += e_o0
                e_level0_o += e_o0
                if ai > 0:
                    real = np.ceil(ai * pb / bwl - 1e-9)
                    w = np.ceil(1.0 * cpo - 1e-9)
                    ss_o = max(ss_o, _ss(real, w, TC))
            else:
                q = 0 if op == OP_I else 1
                pb = _prec(op, lc)
                for s in range(2):
                    st = 1.0 if s == 0 else maxstat[op]
                    pc = TC // st
                    e_iw[q, s] = _words(bo[op, 0], pb, bmin, ratio, pc, units) * cost
                    ai = boi[op, 0]
                    if ai > 0:
                        real = np.ceil(ai * pb / bwl - 1e-9)
                        w = np.ceil(np.floor(st) * cpo - 1e-9)
                        s_iw[q, s] = max(0.0, _ss(real, w, pc))
            continue
        # B2: boundary between level k and k+1 (k = m for fh/th, m - 1 for tl/fl)
        k = m if (dr in (D_FH, D_TH)) else m - 1
        for d in range(8):
            tmp[d] = bf[op, k + 1, d]
        t0 = tile(op, tmp, lc)
        for d in range(8):
            tmp[d] = T[d] * bf[op, k + 1, d]
        t_all = tile(op, tmp, lc)
        # data per period is round(tile): exact for integer unrollings, else >= tile - 1/2
        integral = True
        for d in range(8):
            if bf[op, k + 1, d] != np.floor(bf[op, k + 1, d]):
                integral = False
        rho = 1.0 if integral else max(0.0, 1.0 - 0.5 / t0) if t0 > 0 else 0.0
        ap = rho * t_all
        if dr in (D_TL, D_FL):
            ap = ap * bo[op, m]
        if op == OP_O:
            forced = False
            for b in range(k + 2, n + 1):
                if hir[op, b]:
                    forced = True
            if (dr in (D_TL, D_FH)) and not forced:
                continue
            pb = lc[LC_PSUM] if forced else min(lc[LC_PSUM], lc[LC_POUT])
        else:
            pb = _prec(op, lc)
        energy += _words_lb(ap, pb, bmin, ratio, TC, units) * cost
    energy += min(e_iw[0, 1] + e_iw[1, 0], e_iw[0, 0] + e_iw[1, 1])
    stall = max(ss_o, min(max(s_iw[0, 1], s_iw[1, 0]), max(s_iw[0, 0], s_iw[1, 1])))
    if fl[FL_IMC]:
        wl = 0.0
        if nlev[OP_W] >= 2:
            wl = rows_total * gdepth  # at least one weight load
        stall = wl if fl[FL_WL_ONLY] else max(stall, wl)
    # L2: on-/off-loading floors from the spatial tiles (every tile holds at least those)
    rec = scratch[13]
    for j in range(na):
        rec[j] = 0.0
        if acts_i[j, 6] == 0:
            continue
        op = acts_i[j, 0]
        m = acts_i[j, 1]
        dr = acts_i[j, 2]
        n = nlev[op]
        a = m if (dr in (D_TL, D_FL)) else m + 1
        dlb = 1.0
        if a > 0:
            for d in range(8):
                tmp[d] = bi[op, a, d]
            dlb = np.round(tile(op, tmp, lc))
        amt = dlb * boi[op, a] if (dr in (D_TL, D_FL)) else dlb
        if op == OP_O:
            amt = np.floor(amt)
        if amt <= 0:
            continue
        for d in range(8):
            tmp[d] = bi[op, 1, d]
        d1 = np.round(tile(op, tmp, lc))
        if op == OP_O:
            h = a == 0 and o_ir_t
            h1 = False
            for b in range(a + 1, n + 1):
                if hir[op, b]:
                    h = True
            for b in range(2, n + 1):
                if hir[op, b]:
                    h1 = True
            pmin = min(lc[LC_PSUM], lc[LC_POUT])
            pb = lc[LC_PSUM] if h else pmin
            pb1 = lc[LC_PSUM] if h1 else pmin
        else:
            pb = _prec(op, lc)
            pb1 = pb
        bwl = acts_f[j, 4]
        real_lb = np.ceil(amt * pb / bwl - 1e-9)
        mn_lb = np.ceil(d1 * pb1 / bwl - 1e-9)
        rec[j] = min(real_lb, mn_lb)
    on_lb, off_lb = _loading_sum(rec, acts_i, na, nlev, fl[FL_HALF_ASSIGN], scratch[14])
    lat = TC * cpo + stall + on_lb + off_lb
    shrink = 1.0 - 1e-12  # bounds are computed in floating point: keep them strictly below
    energy *= shrink
    lat *= shrink
    out[0] = energy
    out[1] = lat
    out[2] = arr_e + e_level0_o  # array + output level-0 energy (fixed)
    out[3] = ss_o  # output level-0 stall floor (fixed)
    out[4] = min(e_iw[0, 1] + e_iw[1, 0], e_iw[0, 0] + e_iw[1, 1])  # input level-0 energy
    out[5] = min(max(s_iw[0, 1], s_iw[1, 0]), max(s_iw[0, 0], s_iw[1, 1]))  # their stall
    out[6] = on_lb + off_lb
    if obj == OBJ_EDP:
        return lat * energy
    if obj == OBJ_ENERGY:
        return energy + 1e-12 * lat
    return lat + 1e-12 * energy


@njit(cache=True, error_model="numpy")
def infeasible_at_start(info, T, lc):
    """True when some operand's lowest level cannot hold its spatial tile (no nest fits)."""
    nlev, levsz, bf, hir, tmp = info[0], info[2], info[3], info[9], info[16]
    o_ir_t = False
    for d in range(8):
        if IR[OP_O, d] and T[d] > 1:
            o_ir_t = True
    for op in range(3):
        n = nlev[op]
        sp = False
        if op == OP_O:
            for b in range(1, n + 1):
                if hir[op, b]:
                    sp = True
        if n == 1:
            for d in range(8):
                tmp[d] = T[d] * bf[op, 1, d]
            p = (lc[LC_PSUM] if sp else lc[LC_POUT]) if op == OP_O else _prec(op, lc)
        else:
            for d in range(8):
                tmp[d] = bf[op, 1, d]
            p = (lc[LC_PSUM] if (sp or o_ir_t) else lc[LC_POUT]) if op == OP_O else _prec(op, lc)
        if tile(op, tmp, lc) * p > levsz[op, 0] + 1e-9:
            return True
    return False


# --------------------------------------------------------------------------------------------
# search


@njit(cache=True, error_model="numpy")
def _next_perm(a, n):
    """Next lexicographic permutation of ``a[:n]`` in place (multiset-aware); False at the end."""
    i = n - 2
    while i >= 0 and a[i] >= a[i + 1]:
        i -= 1
    if i < 0:
        return False
    j = n - 1
    while a[j] <= a[i]:
        j -= 1
    t = a[i]
    a[i] = a[j]
    a[j] = t
    lo = i + 1
    hi = n - 1
    while lo < hi:
        t = a[lo]
        a[lo] = a[hi]
        a[hi] = t
        lo += 1
        hi -= 1
    return True


MAXB = 3 * (MAXL - 1)  # memory boundaries (operand, level below)


def new_bound_tables():
    """Work arrays for :func:`boundary_tables`."""
    return (
        np.zeros(1, np.int64),  # number of boundaries
        np.zeros((MAXB, 2), np.int64),  # (operand, level below) per boundary
        np.full((MAXB, MAXC), np.inf),  # H: boundary energy per sub-multiset (inf: no fit)
        np.full((MAXB, MAXC), np.inf),  # HS: boundary stall floor per sub-multiset
        np.full(MAXC, np.inf),  # WL: IMC weight-loading cycles per sub-multiset (W, level 0)
        np.full((MAXA, MAXC), np.inf),  # REC: on-/off-loading floor per transfer
        np.full((MAXB, MAXC), np.inf),  # M: min of H over supersets
        np.full((MAXB, MAXC), np.inf),  # MS
        np.full(MAXC, np.inf),  # MWL
        np.zeros((3, MAXL, MAXC), np.bool_),  # ALLOW: in a jointly maximal pair (bound M2)
        np.zeros((3, MAXL), np.bool_),  # whether ALLOW applies to (op, level)
        np.zeros((MAXC, MAXN), np.int64),  # label counts per code
        np.full((MAXA, MAXC), np.inf),  # MREC: min of REC over supersets
    )


@njit(cache=True, error_model="numpy")
def _superset_min(src, dst, ncode, stride, mult, L):
    """dst[c] = min of src over every sub-multiset code containing c (zeta transform)."""
    for c in range(ncode):
        dst[c] = src[c]
    for lab in range(L):
        s = stride[lab]
        m = mult[lab]
        for c in range(ncode - 1, -1, -1):
            if (c // s) % (m + 1) < m and dst[c + s] < dst[c]:
                dst[c] = dst[c + s]


@njit(cache=True, error_model="numpy")
def _member_bits(op, k, c, info, lc, tb):
    nlev, hir = info[0], info[9]
    all_o, tf = tb[4], tb[5]
    if op == OP_O:
        sp = False
        for b in range(k + 1, nlev[op] + 1):
            if hir[op, b]:
                sp = True
        p = lc[LC_PSUM] if (sp or not all_o[c]) else lc[LC_POUT]
    else:
        p = _prec(op, lc)
    return tf[op, k + 1, c] * p


@njit(cache=True, error_model="numpy")
def _joint_maximal(info, lc, tb, mult, L, ALLOW, HAS, CNT):
    """For memories holding exactly two non-top operand levels: which sub-multisets each can
    hold in a pair LOMA's allocator could choose (docs/mapper.md, bound M2).

    Both cuts are prefixes of one loop order, so one pair member contains the other; the
    allocator's choice (least traffic, ties to the later position; exact for integer
    unrollings, where each member's traffic never grows with its position) leaves neither
    member able to take its next loop — for the inner one a loop of the outer one's set —
    without overflowing its level or the memory.
    """
    nlev, levsz = info[0], info[2]
    grp_i, grp_f, ng = info[13], info[14], info[12][2]
    ncode = tb[0][0]
    stride = tb[1]
    full = ncode - 1
    for c in range(ncode):
        for lab in range(L):
            CNT[c, lab] = (c // stride[lab]) % (mult[lab] + 1)
    B1 = np.empty(ncode)
    B2 = np.empty(ncode)
    cl1 = np.empty(ncode, np.int64)
    cl2 = np.empty(ncode, np.int64)
    for g in range(ng):
        cnt = grp_i[g, 1]
        nfree = 0
        o1 = k1 = o2 = k2 = np.int64(-1)
        forced = 0.0
        for j in range(cnt):
            op = grp_i[g, 2 + 2 * j]
            k = grp_i[g, 3 + 2 * j]
            if k == nlev[op] - 1:
                forced += _member_bits(op, k, full, info, lc, tb)
            else:
                nfree += 1
                if o1 < 0:
                    o1, k1 = op, k
                else:
                    o2, k2 = op, k
        if nfree != 2:
            continue
        cap = grp_f[g] + 1e-9 - forced
        s1 = levsz[o1, k1] + 1e-9
        s2 = levsz[o2, k2] + 1e-9
        for c in range(ncode):
            B1[c] = _member_bits(o1, k1, c, info, lc, tb)
            B2[c] = _member_bits(o2, k2, c, info, lc, tb)
        # single-member test first: could not take one more loop even with the other member
        # at its largest
        hi1 = min(s1, B1[full])
        hi2 = min(s2, B2[full])
        n1 = 0
        n2 = 0
        for c in range(ncode):
            for which in range(2):
                b = B1[c] if which == 0 else B2[c]
                so = s1 if which == 0 else s2
                oh = hi2 if which == 0 else hi1
                if b > so:
                    continue
                ok = c == full
                if not ok:
                    for lab in range(L):
                        if CNT[c, lab] == mult[lab]:
                            continue
                        bb = B1[c + stride[lab]] if which == 0 else B2[c + stride[lab]]
                        if bb > so or bb + oh > cap:
                            ok = True
                            break
                if ok:
                    if which == 0:
                        cl1[n1] = c
                        n1 += 1
                    else:
                        cl2[n2] = c
                        n2 += 1
        HAS[o1, k1] = True
        HAS[o2, k2] = True
        for c in range(ncode):
            ALLOW[o1, k1, c] = False
            ALLOW[o2, k2, c] = False
        for i1 in range(n1):
            c1 = cl1[i1]
            b1 = B1[c1]
            for i2 in range(n2):
                c2 = cl2[i2]
                if ALLOW[o1, k1, c1] and ALLOW[o2, k2, c2]:
                    continue
                b2 = B2[c2]
                if b1 + b2 > cap:
                    continue
                sub12 = True  # c1 within c2
                sub21 = True
                for lab in range(L):
                    if CNT[c1, lab] > CNT[c2, lab]:
                        sub12 = False
                    if CNT[c2, lab] > CNT[c1, lab]:
                        sub21 = False
                if not (sub12 or sub21):
                    continue
                inner1 = sub12 and not sub21
                inner2 = sub21 and not sub12
                m1 = c1 == full
                if not m1:
                    for lab in range(L):
                        if CNT[c1, lab] == mult[lab] or (inner1 and CNT[c1, lab] >= CNT[c2, lab]):
                            continue  # the inner member's next loop is in the outer set
                        bb = B1[c1 + stride[lab]]
                        if bb > s1 or bb + b2 > cap:
                            m1 = True
                            break
                if not m1:
                    continue
                m2 = c2 == full
                if not m2:
                    for lab in range(L):
                        if CNT[c2, lab] == mult[lab] or (inner2 and CNT[c2, lab] >= CNT[c1, lab]):
                            continue
                        bb = B2[c2 + stride[lab]]
                        if bb > s2 or b1 + bb > cap:
                            m2 = True
                            break
                if m2:
                    ALLOW[o1, k1, c1] = True
                    ALLOW[o2, k2, c2] = True


@njit(cache=True, error_model="numpy")
def boundary_tables(info, lc, fl, consts, T, tb, bt, mult):
    """Per memory boundary and sub-multiset S of the LPFs below it: exact costs of S.

    For boundary (op, k) — between level k and k+1 of an operand — the transfers across it
    depend on the loops below it only through their sub-multiset S: tile sizes, period
    P(S), number of periods TC/P(S), partial sums. ``H`` holds their energy and ``HS`` a
    stall floor when S fits level k, ``REC`` on-/off-loading floors and ``WL`` the IMC
    weight-loading cycles; ``M``/``MS``/``MWL`` the minima over supersets. Returns False if
    some boundary has no S that fits (no nest of this variant fits).
    """
    nlev, levsz, bo, boi, hir, same = info[0], info[2], info[7], info[8], info[9], info[5]
    acts_i, acts_f, nact_arr = info[10], info[11], info[12]
    ncode_a, stride, cum_c, P_c, all_o, tf, ti = tb
    nb_a, bnd, H, HS, WLt, REC, M, MS, MWL, ALLOW, HAS, CNT = bt[:12]
    cpo, rows_total, gdepth = consts[1], consts[2], consts[3]
    na = nact_arr[0]
    ncode = ncode_a[0]
    L = 0
    while L < MAXN and stride[L + 1] <= ncode and stride[L + 1] > stride[L]:
        L += 1
    TC = 1.0
    for d in range(8):
        TC *= T[d]
    pmin = min(lc[LC_PSUM], lc[LC_POUT])
    for c in range(ncode):
        WLt[c] = np.inf
    for j in range(na):
        for c in range(ncode):
            REC[j, c] = np.inf
    # integer unrollings: exact arithmetic, so the allocator's choice is maximal (bound M)
    integral = True
    bfa = info[3]
    for op in range(3):
        for a in range(1, nlev[op] + 2):
            for d in range(8):
                if bfa[op, a, d] != np.floor(bfa[op, a, d]):
                    integral = False
    grp_i, grp_f, memgrp = info[13], info[14], info[15]
    full = ncode - 1
    for op in range(3):
        for k in range(MAXL):
            HAS[op, k] = False
    if integral:
        _joint_maximal(info, lc, tb, mult, L, ALLOW, HAS, CNT)
    d1p_floor = np.full(3, np.inf)  # per operand: min of level-1 data x precision (maximal)
    nb = 0
    ok = True
    for op in range(3):
        n = nlev[op]
        for k in range(n - 1):
            a = k + 1
            # other members of this memory: their bits at least lo_oth, at most hi_oth
            g = memgrp[op, k]
            lo_oth = 0.0
            hi_oth = 0.0
            for jj in range(grp_i[g, 1]):
                o2 = grp_i[g, 2 + 2 * jj]
                k2 = grp_i[g, 3 + 2 * jj]
                if o2 == op and k2 == k:
                    continue
                sp2 = False
                if o2 == OP_O:
                    for b in range(k2 + 1, nlev[o2] + 1):
                        if hir[o2, b]:
                            sp2 = True
                if k2 == nlev[o2] - 1:
                    p2 = (lc[LC_PSUM] if sp2 else lc[LC_POUT]) if o2 == OP_O else _prec(o2, lc)
                    b2 = tf[o2, k2 + 1, full] * p2
                    lo_oth += b2
                    hi_oth += b2
                else:
                    if o2 == OP_O:
                        pmin2 = min(lc[LC_PSUM], lc[LC_POUT]) if not sp2 else lc[LC_PSUM]
                        pmax2 = max(lc[LC_PSUM], lc[LC_POUT])
                    else:
                        pmin2 = _prec(o2, lc)
                        pmax2 = pmin2
                    lo_oth += tf[o2, k2 + 1, 0] * pmin2
                    hi_oth += min(levsz[o2, k2], tf[o2, k2 + 1, full] * pmax2)
            cap = grp_f[g]
            spatial_ir = False
            h_a = False
            h_1 = False
            if op == OP_O:
                for b in range(k + 1, n + 1):
                    if hir[op, b]:
                        spatial_ir = True
                for b in range(a + 1, n + 1):
                    if hir[op, b]:
                        h_a = True
                for b in range(2, n + 1):
                    if hir[op, b]:
                        h_1 = True
            bnd[nb, 0] = op
            bnd[nb, 1] = k
            anyfit = False
            for c in range(ncode):
                H[nb, c] = np.inf
                HS[nb, c] = np.inf
                if op == OP_O:
                    p = lc[LC_PSUM] if (spatial_ir or not all_o[c]) else lc[LC_POUT]
                else:
                    p = _prec(op, lc)
                bits_c = tf[op, a, c] * p
                if bits_c > levsz[op, k] + 1e-9 or bits_c + lo_oth > cap + 1e-9:
                    continue
                if HAS[op, k] and not ALLOW[op, k, c]:
                    continue
                if integral and c != full:
                    # maximal: one more loop must overflow the level or the memory
                    maximal = False
                    for lab in range(L):
                        if (c // stride[lab]) % (mult[lab] + 1) == mult[lab]:
                            continue
                        c2 = c + stride[lab]
                        if op == OP_O:
                            p2 = lc[LC_PSUM] if (spatial_ir or not all_o[c2]) else lc[LC_POUT]
                        else:
                            p2 = p
                        b2 = tf[op, a, c2] * p2
                        if b2 > levsz[op, k] + 1e-9 or b2 + hi_oth > cap + 1e-9:
                            maximal = True
                            break
                    if not maximal:
                        continue
                anyfit = True
                d_f = np.round(tf[op, a, c])
                d_i = d_f if same[op] else np.round(ti[op, a, c])
                psum_a = op == OP_O and ((not all_o[c]) or h_a)
                pba = (lc[LC_PSUM] if psum_a else lc[LC_POUT]) if op == OP_O else p
                pc = TC // P_c[c]
                w_max = np.ceil(P_c[c] * cpo - 1e-9)
                e_c = 0.0
                ss_c = 0.0
                for j in range(na):
                    if acts_i[j, 0] != op:
                        continue
                    m = acts_i[j, 1]
                    dr = acts_i[j, 2]
                    down = dr in (D_TL, D_FL)
                    if (down and m != a) or ((not down) and m != k):
                        continue
                    if down:
                        af = d_f * bo[op, a]
                        ai = d_i * boi[op, a]
                        if op == OP_O:
                            af = np.floor(af)
                            ai = np.floor(ai)
                    else:
                        af = d_f
                        ai = d_i
                    if op == OP_O and (dr in (D_TL, D_FH)) and not psum_a:
                        af = 0.0
                        ai = 0.0
                    e_c += (
                        _words(af, pba, acts_f[j, 0], acts_f[j, 1], pc, acts_f[j, 2])
                        * (acts_f[j, 3])
                    )
                    bwl = acts_f[j, 4]
                    real = np.ceil(ai * pba / bwl - 1e-9) if ai > 0 else 0.0
                    pcl = pc if ai > 0 else 0.0
                    if pcl > 0:
                        ss_c = max(ss_c, (real - w_max) * max(pcl - 1, 0.0))
                    if acts_i[j, 6] == 1:
                        if pcl == 0:
                            r = 0.0
                        elif pcl == 1:
                            if k == 0:
                                d1p = d_i * pba
                            elif d1p_floor[op] < np.inf:
                                d1p = d1p_floor[op]
                            else:
                                pb1 = (lc[LC_PSUM] if h_1 else pmin) if op == OP_O else p
                                d1p = np.round(ti[op, 1, 0]) * pb1
                            r = min(real, np.ceil(d1p / bwl - 1e-9))
                        else:
                            r = real
                        REC[j, c] = r
                    if op == OP_W and k == 0 and dr == D_FH:
                        WLt[c] = pcl * rows_total * gdepth
                H[nb, c] = e_c
                HS[nb, c] = ss_c
                if k == 0 and d_i * pba < d1p_floor[op]:
                    d1p_floor[op] = d_i * pba
            if not anyfit:
                ok = False
            nb += 1
    nb_a[0] = nb
    for b in range(nb):
        _superset_min(H[b], M[b], ncode, stride, mult, L)
        _superset_min(HS[b], MS[b], ncode, stride, mult, L)
    _superset_min(WLt, MWL, ncode, stride, mult, L)
    MREC = bt[12]
    for j in range(na):
        if acts_i[j, 6] == 1:
            _superset_min(REC[j], MREC[j], ncode, stride, mult, L)
    return ok


@njit(cache=True, error_model="numpy")
def _variant_mult(v, var_seq, N, mult):
    L = 0
    for i in range(N):
        if var_seq[v, i] + 1 > L:
            L = var_seq[v, i] + 1
    for lab in range(MAXN):
        mult[lab] = 0
    for i in range(N):
        mult[var_seq[v, i]] += 1
    return L


@njit(cache=True, error_model="numpy")
def _objective(obj, energy, lat):
    if obj == OBJ_EDP:
        return lat * energy
    if obj == OBJ_ENERGY:
        return energy + 1e-12 * lat
    return lat + 1e-12 * energy


@njit(cache=True, error_model="numpy")
def bound_refined(
    v0, v1, var_dim, var_size, var_seq, N, info, lc, fl, consts, obj, T, tb, bt, base, out
):  # fmt: skip
    """Capacity-aware lower bound of one spatial mapping under one level structure.

    Per memory boundary, the loops below it form a sub-multiset S of the nest's LPFs that
    fits the level; the boundary's energy, stall floor and on-/off-loading floors are
    functions of S (:func:`boundary_tables`). Their minima over the S that fit, per LPF
    variant, bound every nest (docs/mapper.md, bounds B3 and L3). ``base`` = :func:`bound`'s
    array + level-0 energy and level-0 stall. Returns the objective bound (inf: nothing fits).
    """
    nlev, acts_i, nact_arr = info[0], info[10], info[12]
    nb_a, bnd, H, HS, WLt, REC, M, MS, MWL = bt[:9]
    cpo = consts[1]
    na = nact_arr[0]
    TC = 1.0
    for d in range(8):
        TC *= T[d]
    mult = np.zeros(MAXN, np.int64)
    rec = np.zeros(na)
    bk = np.zeros(6)
    best = np.inf
    for v in range(v0, v1):
        ncode = build_tables(v, var_dim, var_size, var_seq, N, info, lc, tb)
        _variant_mult(v, var_seq, N, mult)
        if not boundary_tables(info, lc, fl, consts, T, tb, bt, mult):
            continue
        energy = base[0]
        stall_b = 0.0
        for b in range(nb_a[0]):
            energy += M[b, 0]
            stall_b = max(stall_b, MS[b, 0])
        for j in range(na):
            r = np.inf
            for c in range(ncode):
                if REC[j, c] < r:
                    r = REC[j, c]
            rec[j] = r if r < np.inf else 0.0
        wl = MWL[0] if (nlev[OP_W] >= 2 and MWL[0] < np.inf) else 0.0
        if fl[FL_IMC]:
            stall = wl if fl[FL_WL_ONLY] else max(base[1], stall_b, wl)
        else:
            stall = max(base[1], stall_b)
        on_lb, off_lb = _loading_sum(rec, acts_i, na, nlev, fl[FL_HALF_ASSIGN], bk)
        lat = TC * cpo + stall + on_lb + off_lb
        val = _objective(obj, energy, lat)
        if val < best:
            best = val
            out[0] = energy
            out[1] = lat
    return best * (1.0 - 1e-12)


@njit(cache=True, error_model="numpy")
def _level0(info, lc, consts, TC, op, stat):
    """Energy and stall floor of an input operand's level-0 reads at stationarity ``stat``."""
    _nlev, bo, boi = info[0], info[7], info[8]
    acts_i, acts_f, nact_arr = info[10], info[11], info[12]
    cpo = consts[1]
    e = 0.0
    s = 0.0
    for j in range(nact_arr[0]):
        if acts_i[j, 0] != op or acts_i[j, 1] != 0 or acts_i[j, 2] != D_TL:
            continue
        pb = _prec(op, lc)
        pc = TC // stat
        e += _words(bo[op, 0], pb, acts_f[j, 0], acts_f[j, 1], pc, acts_f[j, 2]) * acts_f[j, 3]
        ai = boi[op, 0]
        if ai > 0:
            real = np.ceil(ai * pb / acts_f[j, 4] - 1e-9)
            w = np.ceil(np.floor(stat) * cpo - 1e-9)
            s = max(s, _ss(real, w, pc))
    return e, s


@njit(cache=True, error_model="numpy")
def any_fits(v0, v1, var_dim, var_size, var_seq, N, info, lc, tb):
    """1 if some nest of the variants fits the memories (LOMA's allocator succeeds), else 0."""
    P = np.empty(N + 1)
    codes = np.zeros(N + 1, np.int64)
    dims = np.empty(N, np.int64)
    seq = np.empty(N, np.int64)
    cuts = np.zeros((3, MAXL), np.int64)
    bits_w = np.empty((3, N + 1))
    cost_w = np.empty((3, N + 1))
    aw = (
        np.zeros(3, np.int64), np.zeros((3, MAXN + 1), np.int64), np.zeros(3, np.int64),
        np.zeros(3, np.int64), np.zeros(3, np.int64),
    )  # fmt: skip
    stride, P_c = tb[1], tb[3]
    for v in range(v0, v1):
        build_tables(v, var_dim, var_size, var_seq, N, info, lc, tb)
        for i in range(N):
            seq[i] = var_seq[v, i]
        P[0] = 1.0
        while True:
            for i in range(N):
                dims[i] = var_dim[v, seq[i]]
                codes[i + 1] = codes[i] + stride[seq[i]]
                P[i + 1] = P_c[codes[i + 1]]
            if allocate(dims, N, codes, P, info, tb, lc, cuts, bits_w, cost_w, aw):
                return 1
            if not _next_perm(seq, N):
                break
    return 0


@njit(cache=True, error_model="numpy")
def search_candidate(
    v0, v1, var_dim, var_size, var_seq, N, info, lc, fl, consts, obj, U, strict_u, wk, tb, bt,
    base, T, best_dims, best_sizes, best_cuts, best_v, stats, ready,
):  # fmt: skip
    """Best nest of one spatial mapping under one level structure, if it beats ``U``.

    Nests are every unique permutation of every LPF variant ``v0 <= v < v1``, enumerated
    depth-first from the innermost loop in lexicographic label order (the exhaustive
    search's order). A prefix is abandoned when a lower bound of all its completions cannot
    beat the best (docs/mapper.md, bound P): per memory boundary, the loops below it are
    either a prefix set already passed or a superset of the current prefix that fits, and
    the level-0 stationarity is exact once a relevant loop has appeared. Complete nests are
    allocated and costed as the exhaustive search does. Returns (nests that fit, best
    objective or inf); the best nest goes to ``best_*``. With ``ready`` and a single
    variant, its tables are those the refined bound has just built.
    """
    nb_a, bnd, H, HS, WLt, REC, M, MS, MWL = bt[:9]
    nlev = info[0]
    base_e, base_ss, lat_const = base[0], base[1], base[2]
    cpo = consts[1]
    P = np.empty(N + 1)
    codes = np.zeros(N + 1, np.int64)
    dims = np.empty(N, np.int64)
    sizes = np.empty(N)
    np.empty(N, np.int64)
    cuts = np.zeros((3, MAXL), np.int64)
    bits_w = np.empty((3, N + 1))
    cost_w = np.empty((3, N + 1))
    aw = (
        np.zeros(3, np.int64), np.zeros((3, MAXN + 1), np.int64), np.zeros(3, np.int64),
        np.zeros(3, np.int64), np.zeros(3, np.int64),
    )  # fmt: skip
    stride, P_c = tb[1], tb[3]
    mult = np.zeros(MAXN, np.int64)
    cnt = np.zeros(MAXN, np.int64)
    choice = np.full(N + 1, -1, np.int64)
    runH = np.full((N + 1, MAXB), np.inf)
    runS = np.full((N + 1, MAXB), np.inf)
    runW = np.full(N + 1, np.inf)
    na = info[12][0]
    acts_i = info[10]
    REC, MREC = bt[5], bt[12]
    runR = np.full((N + 1, MAXA), np.inf)
    recn = np.zeros(MAXA)
    bkn = np.zeros(6)
    # level-0 stationarity per input operand along the path: 0 open (all loops so far
    # irrelevant), 1 closed; value = the stationarity
    st_closed = np.zeros((N + 1, 2), np.bool_)
    st_val = np.ones((N + 1, 2))
    TC = 1.0
    for d in range(8):
        TC *= T[d]
    maxstat = np.ones(2)
    for q in range(2):
        op = OP_I if q == 0 else OP_W
        for d in range(8):
            if IR[op, d]:
                maxstat[q] *= T[d]
    e_open = np.zeros(2)
    s_open = np.zeros(2)
    for q in range(2):
        op = OP_I if q == 0 else OP_W
        e_open[q], s_open[q] = _level0(info, lc, consts, TC, op, maxstat[q])
    ideal = TC * cpo
    n_valid = 0
    local = np.inf
    for v in range(v0, v1):
        if ready and v1 - v0 == 1:
            # the refined bound just built this variant's tables for this structure
            L = _variant_mult(v, var_seq, N, mult)
        else:
            build_tables(v, var_dim, var_size, var_seq, N, info, lc, tb)
            L = _variant_mult(v, var_seq, N, mult)
            if not boundary_tables(info, lc, fl, consts, T, tb, bt, mult):
                continue  # no nest of this variant fits
        nb = nb_a[0]
        for lab in range(L):
            cnt[lab] = mult[lab]
        for b in range(nb):
            runH[0, b] = H[b, 0]
            runS[0, b] = HS[b, 0]
        runW[0] = WLt[0]
        for j in range(na):
            runR[0, j] = REC[j, 0]
        st_closed[0, 0] = False
        st_closed[0, 1] = False
        st_val[0, 0] = 1.0
        st_val[0, 1] = 1.0
        P[0] = 1.0
        codes[0] = 0
        e = 0
        choice[0] = -1
        while e >= 0:
            # next label at depth e (restore the previous choice first)
            lab = choice[e]
            if lab >= 0:
                cnt[lab] += 1
            lab += 1
            while lab < L and cnt[lab] == 0:
                lab += 1
            if lab >= L:
                choice[e] = -1
                e -= 1
                continue
            choice[e] = lab
            cnt[lab] -= 1
            d = var_dim[v, lab]
            dims[e] = d
            sizes[e] = var_size[v, lab]
            c = codes[e] + stride[lab]
            codes[e + 1] = c
            P[e + 1] = P_c[c]
            # ---- prefix bound
            energy = base_e
            stall = base_ss
            for q in range(2):
                op = OP_I if q == 0 else OP_W
                if st_closed[e, q]:
                    st_closed[e + 1, q] = True
                    st_val[e + 1, q] = st_val[e, q]
                elif IR[op, d]:
                    st_closed[e + 1, q] = False
                else:
                    st_closed[e + 1, q] = True
                    st_val[e + 1, q] = P[e]
                if st_closed[e + 1, q]:
                    e0, s0 = _level0(info, lc, consts, TC, op, st_val[e + 1, q])
                    energy += e0
                    stall = max(stall, s0)
                else:
                    energy += e_open[q]
                    stall = max(stall, s_open[q])
            for b in range(nb):
                rh = min(runH[e, b], H[b, c])
                rs = min(runS[e, b], HS[b, c])
                runH[e + 1, b] = rh
                runS[e + 1, b] = rs
                energy += min(rh, M[b, c])
                stall = max(stall, min(rs, MS[b, c]))
            rw = min(runW[e], WLt[c])
            runW[e + 1] = rw
            # on-/off-loading floors per transfer: a passed prefix set or a superset
            for j in range(na):
                if acts_i[j, 6] == 0:
                    recn[j] = 0.0
                    continue
                rr = min(runR[e, j], REC[j, c])
                runR[e + 1, j] = rr
                x = min(rr, MREC[j, c])
                recn[j] = x if x < np.inf else 0.0
            on_n, off_n = _loading_sum(recn, acts_i, na, nlev, fl[FL_HALF_ASSIGN], bkn)
            if fl[FL_IMC] and nlev[OP_W] >= 2:
                wlb = min(rw, MWL[c])
                if wlb == np.inf:
                    wlb = 0.0
                stall = wlb if fl[FL_WL_ONLY] else max(stall, wlb)
            load = max(lat_const, on_n + off_n)
            lb = _objective(obj, energy, ideal + stall + load) * (1.0 - 1e-12)
            cutoff, strict = (local, True) if local <= U else (U, strict_u)
            stats[1] += 1
            if lb > cutoff or (strict and lb == cutoff):
                continue  # prune this prefix; try the next label at depth e
            if e + 1 < N:
                e += 1
                choice[e] = -1
                continue
            # ---- a complete nest
            stats[2] += 1
            fits, val = _cost_nest(
                dims, N, codes, P, info, tb, lc, fl, consts, cutoff, strict, obj, wk, cuts,
                bits_w, cost_w, aw,
            )  # fmt: skip
            n_valid += fits
            if val < cutoff or (val == cutoff and not strict):
                local = val
                best_v[0] = v
                _keep(N, dims, sizes, cuts, best_dims, best_sizes, best_cuts)
        if N == 0:  # the empty nest: one ordering, not reached by the depth-first loop
            stats[2] += 1
            cutoff, strict = (local, True) if local <= U else (U, strict_u)
            fits, val = _cost_nest(
                dims, N, codes, P, info, tb, lc, fl, consts, cutoff, strict, obj, wk, cuts,
                bits_w, cost_w, aw,
            )  # fmt: skip
            n_valid += fits
            if val < cutoff or (val == cutoff and not strict):
                local = val
                best_v[0] = v
                _keep(N, dims, sizes, cuts, best_dims, best_sizes, best_cuts)
    return n_valid, local


@njit(cache=True, error_model="numpy")
def _cost_nest(
    dims, N, codes, P, info, tb, lc, fl, consts, cutoff, strict, obj, wk, cuts, bits_w, cost_w, aw
):  # fmt: skip
    """Allocate and cost one complete nest: (1 if it fits else 0, objective or inf)."""
    if not allocate(dims, N, codes, P, info, tb, lc, cuts, bits_w, cost_w, aw):
        return 0, np.inf
    nodetail = np.empty(0)
    val = evaluate(
        dims,
        N,
        codes,
        P,
        cuts,
        info,
        tb,
        lc,
        fl,
        consts,
        np.int64(1),
        cutoff,
        strict,
        obj,
        wk,
        nodetail,
    )
    return 1, val


@njit(cache=True, error_model="numpy")
def _keep(N, dims, sizes, cuts, best_dims, best_sizes, best_cuts):
    for i in range(N):
        best_dims[i] = dims[i]
        best_sizes[i] = sizes[i]
    for op in range(3):
        for k in range(MAXL):
            best_cuts[op, k] = cuts[op, k]


@njit(cache=True, error_model="numpy")
def _heap_push(hk, hr, size, key, r):
    i = size
    hk[i] = key
    hr[i] = r
    while i > 0:
        p = (i - 1) // 2
        if hk[p] < hk[i] or (hk[p] == hk[i] and hr[p] < hr[i]):
            break
        hk[p], hk[i] = hk[i], hk[p]
        hr[p], hr[i] = hr[i], hr[p]
        i = p
    return size + 1


@njit(cache=True, error_model="numpy")
def _heap_pop(hk, hr, size):
    size -= 1
    hk[0] = hk[size]
    hr[0] = hr[size]
    i = 0
    while True:
        a = 2 * i + 1
        b = a + 1
        s = i
        if a < size and (hk[a] < hk[s] or (hk[a] == hk[s] and hr[a] < hr[s])):
            s = a
        if b < size and (hk[b] < hk[s] or (hk[b] == hk[s] and hr[b] < hr[s])):
            s = b
        if s == i:
            break
        hk[s], hk[i] = hk[i], hk[s]
        hr[s], hr[i] = hr[i], hr[s]
        i = s
    return size


@njit(cache=True, error_model="numpy")
def _ensure_variants(t, T_u, single, vstart, vcount, pool, used):
    """LPF variants of temporal set ``t``, computed on first use into the growing ``pool``."""
    if vstart[t] >= 0:
        return pool, used
    while True:
        cap = pool[0].shape[0]
        w = lpf_variants(T_u[t], single, pool[0], pool[1], pool[2], pool[3], used, cap)
        if w >= 0:
            break
        new = (
            np.zeros((2 * cap, MAXN), np.int64), np.ones((2 * cap, MAXN)),
            np.zeros((2 * cap, MAXN), np.int64), np.zeros(2 * cap, np.int64),
        )  # fmt: skip
        new[0][:used] = pool[0][:used]
        new[1][:used] = pool[1][:used]
        new[2][:used] = pool[2][:used]
        new[3][:used] = pool[3][:used]
        pool = new
    vstart[t] = used
    vcount[t] = w
    return pool, used + w


@njit(cache=True, error_model="numpy")
def _candidate_info(frac, intu, scale, c, n_keep, mask, acc_t, lc, info):
    """:func:`build_info` for candidate ``c`` under bypass ``mask`` (``acc_t``: accelerator)."""
    mem_has, mem_order, mem_served, mem_size, mem_rcost, mem_wcost, pbw, pbwmin, pkey, diag = acc_t
    return build_info(
        frac[c], intu[c], scale[c], n_keep, mask, mem_has, mem_order, mem_served, mem_size,
        mem_rcost, mem_wcost, pbw, pbwmin, pkey, diag, lc, info,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def search_layer(
    frac, intu, scale, consts_c, tidx, T_u, single,
    n_keep, mem_has, mem_order, mem_served, mem_size, mem_rcost, mem_wcost, port_bw,
    port_bwmin, port_key, diag_mem, lc, fl, obj, sort_by_bound, out_i, out_f, out_detail,
    out_skip, info, wk, tb, bt,
):  # fmt: skip
    """Best mapping of one layer over candidates given in exhaustive rank order.

    ``consts_c[c]`` = (array energy, cycles per op, rows_total, group depth); ``info``,
    ``wk``, ``tb``, ``bt`` are work arrays (:func:`new_search_work`). Candidates are
    visited best-first: by the cheap bound (:func:`bound`), refined (:func:`bound_refined`)
    when they come up, searched (:func:`search_candidate`) when their refined bound is the
    lowest; the search stops when no bound can beat the best objective found. Without
    ``sort_by_bound`` (the original's narrow search) candidates go in rank order and are
    only skipped by their bounds. Ties go to the lower rank, as in the exhaustive search.

    Writes to ``out_i``: [best candidate or -1, used bypass, N, nest searches, nests
    allocated, nests costed, candidates, cuts (3 × MAXL)..., activity list..., levels...,
    refined bounds], ``out_f``: [objective, dims..., sizes...], ``out_detail``: costs and
    words of the best, ``out_skip``: its bypass mask.
    """
    C = frac.shape[0]
    nm = mem_has.shape[0]
    acc_t = (
        mem_has, mem_order, mem_served, mem_size, mem_rcost, mem_wcost, port_bw, port_bwmin,
        port_key, diag_mem,
    )  # fmt: skip
    noskip = np.zeros((3, nm), np.bool_)
    skips = np.zeros((C, 3, nm), np.bool_)
    mode = np.zeros(C, np.int64)  # 0 full, 1 bypass only, 2 full then bypass, -1 none
    lbs = np.empty(C)
    bout = np.empty(8)
    base = np.empty(3)
    consts = np.empty(5)
    for c in range(C):
        T = T_u[tidx[c]]
        for q in range(4):
            consts[q] = consts_c[c, q]
        lb = np.inf
        ok = _candidate_info(frac, intu, scale, c, n_keep, noskip, acc_t, lc, info)
        if ok:
            has_skip = too_small(info, lc, skips[c])
            if infeasible_at_start(info, T, lc):
                mode[c] = 1 if has_skip else -1
            else:
                mode[c] = 2 if has_skip else 0
                lb = bound(info, T, lc, fl, consts, obj, bout)
        else:
            mode[c] = -1
        if mode[c] >= 1:
            ok2 = _candidate_info(frac, intu, scale, c, n_keep, skips[c], acc_t, lc, info)
            if ok2:
                lb = min(lb, bound(info, T, lc, fl, consts, obj, bout))
            elif mode[c] == 1:
                mode[c] = -1
        lbs[c] = lb
    order = np.argsort(lbs, kind="mergesort") if sort_by_bound else np.arange(C)
    U = np.inf
    best_c = np.int64(-1)
    best_skip = False
    best_dims = np.zeros(MAXN, np.int64)
    best_sizes = np.ones(MAXN)
    best_cuts = np.zeros((3, MAXL), np.int64)
    best_v = np.zeros(1, np.int64)
    cand_dims = np.zeros(MAXN, np.int64)
    cand_sizes = np.ones(MAXN)
    cand_cuts = np.zeros((3, MAXL), np.int64)
    cand_v = np.zeros(1, np.int64)
    stats = np.zeros(4, np.int64)
    hk = np.empty(C)
    hr = np.empty(C, np.int64)
    vstart = np.full(T_u.shape[0], -1, np.int64)
    vcount = np.zeros(T_u.shape[0], np.int64)
    pool = (
        np.zeros((64, MAXN), np.int64), np.ones((64, MAXN)), np.zeros((64, MAXN), np.int64),
        np.zeros(64, np.int64),
    )  # fmt: skip
    used = np.int64(0)
    hsize = np.int64(0)
    i0 = 0
    while True:
        # next candidate: the lower of the next cheap bound and the lowest refined one
        take_heap = False
        if hsize > 0:
            if i0 >= C:
                take_heap = True
            else:
                c0 = order[i0]
                if not sort_by_bound or hk[0] < lbs[c0] or (hk[0] == lbs[c0] and hr[0] < c0):
                    take_heap = True
        if not take_heap and i0 >= C:
            break
        reuse = False
        if take_heap:
            lb = hk[0]
            c = hr[0]
            hsize = _heap_pop(hk, hr, hsize)
            if lb > U or (lb == U and c > best_c):
                if sort_by_bound:
                    break
                continue
        else:
            c = order[i0]
            i0 += 1
            if mode[c] < 0:
                continue
            lb = lbs[c]
            if lb > U or (lb == U and c > best_c):
                if sort_by_bound:
                    i0 = C  # every later cheap bound is at least as high
                continue
            # refine the bound (per level structure the candidate may end up with)
            T = T_u[tidx[c]]
            pool, used = _ensure_variants(tidx[c], T_u, single, vstart, vcount, pool, used)
            var_dim, var_size, var_seq = pool[0], pool[1], pool[2]
            v0 = vstart[tidx[c]]
            v1 = v0 + vcount[tidx[c]]
            N = pool[3][v0]
            for q in range(4):
                consts[q] = consts_c[c, q]
            stats[3] += 1
            lb1 = np.inf
            for s in range(2):
                if (s == 0 and mode[c] == 1) or (s == 1 and mode[c] == 0):
                    continue
                mask = noskip if s == 0 else skips[c]
                _candidate_info(frac, intu, scale, c, n_keep, mask, acc_t, lc, info)
                bound(info, T, lc, fl, consts, obj, bout)
                base[0] = bout[2] + bout[4]
                base[1] = max(bout[3], bout[5])
                lb1 = min(
                    lb1,
                    bound_refined(
                        v0, v1, var_dim, var_size, var_seq, N, info, lc, fl, consts, obj, T,
                        tb, bt, base, bout,
                    ),
                )  # fmt: skip
            lb1 = max(lb1, lb)
            if lb1 > U or (lb1 == U and c > best_c):
                continue
            # the tables just built serve the search if it comes next (one structure, one
            # variant); otherwise the candidate waits in the heap
            reuse = mode[c] != 2 and vcount[tidx[c]] == 1
            if sort_by_bound:
                nxt = True
                if i0 < C:
                    c1 = order[i0]
                    if not (lb1 < lbs[c1] or (lb1 == lbs[c1] and c < c1)):
                        nxt = False
                if hsize > 0 and not (lb1 < hk[0] or (lb1 == hk[0] and c < hr[0])):
                    nxt = False
                if not (nxt and reuse):
                    hsize = _heap_push(hk, hr, hsize, lb1, c)
                    continue
            # searched now: next in best-first order, or the narrow search's rank order
        # ---- search candidate c
        stats[0] += 1
        T = T_u[tidx[c]]
        pool, used = _ensure_variants(tidx[c], T_u, single, vstart, vcount, pool, used)
        var_dim, var_size, var_seq = pool[0], pool[1], pool[2]
        v0 = vstart[tidx[c]]
        v1 = v0 + vcount[tidx[c]]
        N = pool[3][v0]
        for q in range(4):
            consts[q] = consts_c[c, q]
        consts[4] = 0.0
        strict_u = c > best_c
        found = np.inf
        used_skip = False
        n_valid = 0
        for s in range(2):
            if (s == 0 and mode[c] == 1) or (s == 1 and mode[c] == 0):
                continue
            if s == 1 and n_valid > 0:
                break
            mask = noskip if s == 0 else skips[c]
            _candidate_info(frac, intu, scale, c, n_keep, mask, acc_t, lc, info)
            bound(info, T, lc, fl, consts, obj, bout)
            consts[4] = bout[1]  # latency floor for the nests' first cost stage
            base[0] = bout[2]
            base[1] = bout[3]
            base[2] = bout[6]
            n_valid, found = search_candidate(
                v0, v1, var_dim, var_size, var_seq, N, info, lc, fl, consts, obj, U, strict_u,
                wk, tb, bt, base, T, cand_dims, cand_sizes, cand_cuts, cand_v, stats, reuse,
            )  # fmt: skip
            if n_valid == 0 and s == 0 and mode[c] == 2:
                # bypass only if no nest fits at all (the exhaustive rule); pruned nests
                # were never allocated, so look for one that fits
                n_valid = any_fits(v0, v1, var_dim, var_size, var_seq, N, info, lc, tb)
            used_skip = s == 1
        if found < np.inf:
            U = found
            best_c = c
            best_skip = used_skip
            best_v[0] = cand_v[0]
            for i in range(MAXN):
                best_dims[i] = cand_dims[i]
                best_sizes[i] = cand_sizes[i]
            for op in range(3):
                for k in range(MAXL):
                    best_cuts[op, k] = cand_cuts[op, k]
    out_i[0] = best_c
    out_i[3] = stats[0]
    out_i[4] = stats[1]
    out_i[5] = stats[2]
    out_i[6] = C
    if best_c < 0:
        return
    c = best_c
    var_dim, var_size, var_seq = pool[0], pool[1], pool[2]
    N = pool[3][best_v[0]]
    out_i[1] = 1 if best_skip else 0
    out_i[2] = N
    for op in range(3):
        for i in range(nm):
            out_skip[op, i] = skips[c, op, i] if best_skip else False
    _candidate_info(frac, intu, scale, c, n_keep, out_skip, acc_t, lc, info)
    build_tables(best_v[0], var_dim, var_size, var_seq, N, info, lc, tb)
    P = np.empty(N + 1)
    codes = np.zeros(N + 1, np.int64)
    dims = best_dims[:N].copy()
    P[0] = 1.0
    stride, P_c = tb[1], tb[3]
    for i in range(N):
        lab = -1
        for q in range(var_dim.shape[1]):
            if var_dim[best_v[0], q] == dims[i] and var_size[best_v[0], q] == best_sizes[i]:
                lab = q
                break
        codes[i + 1] = codes[i] + stride[lab]
        P[i + 1] = P_c[codes[i + 1]]
    for q in range(4):
        consts[q] = consts_c[c, q]
    consts[4] = 0.0
    val = evaluate(
        dims, N, codes, P, best_cuts, info, tb, lc, fl, consts, np.int64(0), np.inf, np.bool_(False), obj, wk,
        out_detail,
    )  # fmt: skip
    out_f[0] = val
    for i in range(N):
        out_f[1 + i] = dims[i]
        out_f[1 + MAXN + i] = best_sizes[i]
    for op in range(3):
        for k in range(MAXL):
            out_i[7 + op * MAXL + k] = best_cuts[op, k]
    # activity list of the best (op, m, dir, port, mem) for naming the words in out_detail
    acts_i = info[10]
    na = info[12][0]
    out_i[7 + 3 * MAXL] = na
    for j in range(na):
        for q in range(5):
            out_i[8 + 3 * MAXL + 5 * j + q] = acts_i[j, q]
    out_i[8 + 3 * MAXL + 5 * MAXA] = stats[3]
    for op in range(3):
        out_i[9 + 3 * MAXL + 5 * MAXA + op] = info[0][op]
        for k in range(MAXL):
            out_i[12 + 3 * MAXL + 5 * MAXA + op * MAXL + k] = info[1][op, k]


def new_search_work():
    """Work arrays of :func:`search_layer` (allocate once per process, reuse per call)."""
    return new_info(), new_work(), new_tables(), new_bound_tables()


@njit(cache=True, error_model="numpy")
def dedup_rows(T):
    """Distinct rows of ``T`` (first occurrences) and each row's index among them."""
    C = T.shape[0]
    size = 16
    while size < 2 * C:
        size *= 2
    table = np.full(size, -1, np.int64)
    first = np.empty(C, np.int64)
    tidx = np.empty(C, np.int64)
    nu = 0
    for c in range(C):
        slot = np.int64(_row_hash(T, c) & np.uint64(size - 1))
        while True:
            u = table[slot]
            if u < 0:
                table[slot] = nu
                first[nu] = c
                tidx[c] = nu
                nu += 1
                break
            r = first[u]
            same = True
            for d in range(T.shape[1]):
                if T[r, d] != T[c, d]:
                    same = False
                    break
            if same:
                tidx[c] = u
                break
            slot = (slot + 1) & (size - 1)
    out = np.empty((nu, T.shape[1]))
    for u in range(nu):
        for d in range(T.shape[1]):
            out[u, d] = T[first[u], d]
    return out, tidx


@njit(cache=True, error_model="numpy")
def _mix(z):
    """splitmix64's finaliser: every input bit reaches the low output bits."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, error_model="numpy")
def _row_hash(R, c):
    h = np.uint64(0x9E3779B97F4A7C15)
    for d in range(R.shape[1]):
        h = _mix(h ^ np.uint64(np.int64(R[c, d] * 1048576.0)))
    return h


# LOOP_DIMS index of each dim after swapping OY<->OX and FY<->FX
SWAP_XY = np.array([0, 1, 2, 3, 5, 4, 7, 6], np.int64)


@njit(cache=True, error_model="numpy")
def _cand_hash(frac, intu, pres, scale, c, swap):
    h = np.uint64(0x9E3779B97F4A7C15)
    for oa in range(frac.shape[1]):
        for d in range(8):
            s = SWAP_XY[d] if swap else d
            h = _mix(h ^ np.uint64(np.int64(frac[c, oa, s] * 1048576.0)))
            h = _mix(h ^ np.uint64(np.int64(intu[c, oa, s])))
            h = _mix(h ^ np.uint64(1 if pres[c, oa, s] else 0))
    return _mix(h ^ np.uint64(np.int64(scale[c] * 1048576.0)))


@njit(cache=True, error_model="numpy")
def _cand_equal(frac, intu, pres, scale, a, b, swap):
    if scale[a] != scale[b]:
        return False
    for oa in range(frac.shape[1]):
        for d in range(8):
            s = SWAP_XY[d] if swap else d
            if frac[a, oa, d] != frac[b, oa, s] or intu[a, oa, d] != intu[b, oa, s]:
                return False
            if pres[a, oa, d] != pres[b, oa, s]:
                return False
    return True


@njit(cache=True, error_model="numpy")
def representatives(frac, intu, pres, scale, rank, symmetric):
    """Which candidates (in ``rank`` order) to search: the first of each set of equal
    problems — equal unrollings and register scale, or OX/OY mirrors of a square layer."""
    C = rank.shape[0]
    size = 16
    while size < 2 * C:
        size *= 2
    table = np.full(size, -1, np.int64)
    keep = np.ones(C, np.bool_)
    for i in range(C):
        c = rank[i]
        if symmetric:
            # is its mirror already in the table (ranked before it)?
            slot = np.int64(_cand_hash(frac, intu, pres, scale, c, True) & np.uint64(size - 1))
            while table[slot] >= 0:
                if _cand_equal(frac, intu, pres, scale, table[slot], c, True):
                    keep[i] = False
                    break
                slot = (slot + 1) & (size - 1)
            if not keep[i]:
                continue
        slot = np.int64(_cand_hash(frac, intu, pres, scale, c, False) & np.uint64(size - 1))
        while table[slot] >= 0:
            if _cand_equal(frac, intu, pres, scale, table[slot], c, False):
                keep[i] = False
                break
            slot = (slot + 1) & (size - 1)
        if keep[i]:
            table[slot] = c
    return keep


@njit(cache=True, error_model="numpy")
def _convert_one(Q, L, pos, sizes, frac, intu, pres, c):
    """SpatialMapping.converted for one candidate (fastmap._convert, same arithmetic)."""
    noa = Q.shape[0]
    for d in range(8):
        total = 1.0
        last = -1
        lastpos = -1
        for oa in range(noa):
            total *= Q[oa, d]
            p = L[oa, d] > 0
            pres[c, oa, d] = p
            if p and pos[oa] > lastpos:
                lastpos = pos[oa]
                last = oa
        for oa in range(noa):
            frac[c, oa, d] = Q[oa, d]
            intu[c, oa, d] = Q[oa, d]
        if last >= 0:
            u_last = L[last, d]
            u_prev = total / u_last
            rem = np.ceil(sizes[d] / (u_last * u_prev) - 1e-9)
            f = sizes[d] / rem / u_prev
            head = Q[last, d] / u_last
            frac[c, last, d] = head * f
            intu[c, last, d] = head * np.ceil(f - 1e-9)


@njit(cache=True, error_model="numpy")
def expand_candidates(
    Qall, Lall, off, shape, ja, jo, pair_key, key_start, key_count, mq_all, ml_all, sc_all,
    a_absent, sizes,
):  # fmt: skip
    """The Cartesian product of per-array-dim choices, with diagonal options, converted.

    Combinations in C order (last array dim fastest); a combination with diagonal options
    (``pair_key[choice on ja, choice on jo]`` >= 0) is replaced by one candidate per option:
    the activation dim ``ja`` gets the option's unrolling (and goes last in the mapping when
    it had none, ``a_absent``). Returns frac, intu, present, scale, combination, option.
    """
    noa = shape.shape[0]
    M = 1
    for j in range(noa):
        M *= shape[j]
    idx = np.zeros(noa, np.int64)
    C = 0
    for m in range(M):
        r = m
        for j in range(noa - 1, -1, -1):
            idx[j] = r % shape[j]
            r //= shape[j]
        n = 0
        if ja >= 0:
            key = pair_key[idx[ja], idx[jo]]
            if key >= 0:
                n = key_count[key]
        C += max(n, 1)
    frac = np.empty((C, noa, 8))
    intu = np.empty((C, noa, 8))
    pres = np.empty((C, noa, 8), np.bool_)
    scale = np.ones(C)
    combo = np.empty(C, np.int64)
    optno = np.empty(C, np.int64)
    Q = np.empty((noa, 8))
    L = np.empty((noa, 8))
    Q2 = np.empty((noa, 8))
    L2 = np.empty((noa, 8))
    pos = np.arange(noa)
    pos2 = np.arange(noa)
    if a_absent and ja >= 0:
        pos2[ja] = noa
    c = np.int64(0)
    for m in range(M):
        r = m
        for j in range(noa - 1, -1, -1):
            idx[j] = r % shape[j]
            r //= shape[j]
        for j in range(noa):
            for d in range(8):
                Q[j, d] = Qall[off[j] + idx[j], d]
                L[j, d] = Lall[off[j] + idx[j], d]
        n = 0
        key = -1
        if ja >= 0:
            key = pair_key[idx[ja], idx[jo]]
            if key >= 0:
                n = key_count[key]
        if n == 0:
            _convert_one(Q, L, pos, sizes, frac, intu, pres, c)
            combo[c] = m
            optno[c] = -1
            c += 1
            continue
        for kk in range(n):
            o = key_start[key] + kk
            for j in range(noa):
                for d in range(8):
                    Q2[j, d] = Q[j, d]
                    L2[j, d] = L[j, d]
            for d in range(8):
                Q2[ja, d] = Q[ja, d] * mq_all[o, d]
                if ml_all[o, d] > 0:
                    L2[ja, d] = ml_all[o, d]
            _convert_one(Q2, L2, pos2, sizes, frac, intu, pres, c)
            scale[c] = sc_all[o]
            combo[c] = m
            optno[c] = kk
            c += 1
    return frac, intu, pres, scale, combo, optno
