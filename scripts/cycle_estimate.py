#!/usr/bin/env python3
"""Cortex-M4 cycle estimate of one inference, from an instruction trace under QEMU.

Usage:
  cycle_estimate.py ranges FIRMWARE.elf          QEMU -dfilter ranges of the forward pass
  cycle_estimate.py estimate FIRMWARE.elf TRACE  cycles of the first inference in TRACE

`ranges` lists the functions reachable by direct calls from `Runner::run`; QEMU run with
`-singlestep -d exec,nochain -dfilter <ranges>` then logs each of their executed
instructions. `estimate` takes the instructions from the first entry into `Runner::run` to
the second (the firmware's first classification), and prices each with the Cortex-M4
Technical Reference Manual's timings (table 3-1), assuming memory without wait states:

- data processing, multiplies and multiply-accumulates (32 and 64 bit), IT: 1 cycle;
- UDIV/SDIV: 7 (the manual gives 2 to 12);
- single loads and stores: 2, or 1 right after another single load or store (the two
  pipeline); LDRD/STRD: 3; LDM/STM/PUSH/POP and VLDM/VSTM/VPUSH/VPOP: 1 + registers;
- branches: 1 if not taken, 1 + 2 for the pipeline refill if taken (the manual gives 1 to
  3), and the same refill for POP or LDR into PC;
- VFP: VMLA/VMLS/VFMA and kin 3, VDIV/VSQRT 14, VLDR/VSTR 2, other VFP instructions 1.
"""
import re
import subprocess
import sys

REFILL = 2
RUN = re.compile(r"Runner<\d+>>::run::<")


def disassemble(elf):
    """pc -> (size, mnemonic, operands) and function name -> (start, end)."""
    out = subprocess.run(["arm-none-eabi-objdump", "-d", "-C", elf], capture_output=True, text=True, check=True).stdout
    code, functions, current = {}, {}, None
    for line in out.splitlines():
        head = re.match(r"^([0-9a-f]+) <(.*)>:$", line)
        if head:
            current = head[2]
            functions[current] = [int(head[1], 16), int(head[1], 16)]
            continue
        ins = re.match(r"^\s+([0-9a-f]+):\s+((?:[0-9a-f]{4} ?){1,2})\s+(\S+)\s*(.*)$", line)
        if ins and current:
            pc = int(ins[1], 16)
            size = 2 * len(ins[2].split())
            code[pc] = (size, ins[3], ins[4].split("@")[0].strip())
            functions[current][1] = pc + size
    return code, functions


def forward_functions(code, functions):
    """The functions reachable by direct calls from Runner::run."""
    by_start = {start: name for name, (start, _) in functions.items()}
    roots = [name for name in functions if RUN.search(name)]
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        start, end = functions[name]
        for pc in range(start, end, 2):
            ins = code.get(pc)
            if ins and ins[1] in ("bl", "b.w", "b") and re.match(r"^[0-9a-f]+ <", ins[2]):
                target = int(ins[2].split()[0], 16)
                if target in by_start and not (start <= target < end):
                    todo.append(by_start[target])
    return roots, sorted(seen, key=lambda n: functions[n][0])


def registers(operands):
    """Number of registers in a register list such as {r4-r7, lr} or {d8-d12}."""
    inside = re.search(r"\{(.*)\}", operands)
    if not inside:
        return 1
    count = 0
    for part in inside[1].split(","):
        bounds = re.findall(r"\d+", part)
        count += int(bounds[1]) - int(bounds[0]) + 1 if "-" in part and len(bounds) == 2 else 1
    # A D register is two S registers' worth of transfers.
    return count * (2 if re.search(r"\bd\d", inside[1]) else 1)


CONDITIONS = ("eq", "ne", "cs", "cc", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le")
# Mnemonics whose cost differs from one cycle, which a condition suffix must not hide.
PRICED = {"b", "bx", "ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "str", "strb", "strh", "ldrd", "strd",
          "ldm", "stm", "pop", "push", "udiv", "sdiv", "vldr", "vstr", "vmla", "vmls", "vdiv",
          "vsqrt", "mov"}


def base(mnemonic):
    """The mnemonic without width suffix, and without condition code where that matters."""
    m = mnemonic.split(".")[0]
    if m[-2:] in CONDITIONS and m[:-2] in PRICED:
        return m[:-2]
    return m


def cycles(mnemonic, operands, taken, after_single_memory):
    m = base(mnemonic)
    writes_pc = "pc" in operands.split(",")[0] or ("pop" in m and "pc" in operands)
    if m in ("b", "bl", "blx", "bx", "cbz", "cbnz"):
        return 1 + (REFILL if taken or m in ("bl", "blx", "bx") else 0)
    if m in ("tbb", "tbh"):
        return 2 + REFILL
    if m in ("udiv", "sdiv"):
        return 7
    if m in ("ldrd", "strd"):
        return 3
    if m in ("ldm", "ldmia", "ldmdb", "stm", "stmia", "stmdb", "push", "pop", "vpush", "vpop",
             "vldmia", "vstmia", "vldmdb", "vstmdb", "vldm", "vstm"):
        return 1 + registers(operands) + (REFILL if writes_pc else 0)
    if m in ("vldr", "vstr"):
        return 2
    if re.match(r"^(ldr|str)(b|h|sb|sh|ex|exb|exh)?$", m):
        return (1 if after_single_memory else 2) + (REFILL if writes_pc else 0)
    if m in ("vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"):
        return 3
    if m in ("vdiv", "vsqrt"):
        return 14
    return 1 + (REFILL if writes_pc and m.startswith("mov") else 0)


def single_memory(mnemonic):
    return bool(re.match(r"^(ldr|str)(b|h|sb|sh)?$", base(mnemonic)))


def estimate(elf, trace):
    code, functions = disassemble(elf)
    roots, _ = forward_functions(code, functions)
    starts = {functions[r][0] for r in roots}
    pcs = []
    entries = 0
    with open(trace) as f:
        for line in f:
            field = re.search(r"\[[0-9a-f]+/([0-9a-f]+)/", line)
            if not field:
                continue
            pc = int(field[1], 16)
            if pc in starts:
                entries += 1
                if entries == 2:
                    break
            if entries == 1:
                pcs.append(pc)
    if not pcs:
        sys.exit(f"{trace}: no entry into Runner::run")
    total, previous_single = 0, False
    for pc, following in zip(pcs, pcs[1:] + [None]):
        size, mnemonic, operands = code.get(pc, (2, "nop", ""))
        taken = following is not None and following != pc + size
        total += cycles(mnemonic, operands, taken, previous_single)
        previous_single = single_memory(mnemonic)
    print(f"first inference: {len(pcs)} instructions traced, about {total} cycles "
          f"({total / len(pcs):.2f} cycles per instruction)")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "ranges":
        code, functions = disassemble(sys.argv[2])
        _, names = forward_functions(code, functions)
        print(",".join(f"0x{functions[n][0]:x}..0x{functions[n][1] - 1:x}" for n in names))
    elif len(sys.argv) == 4 and sys.argv[1] == "estimate":
        estimate(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
