# pipegen's .dockerignore filter: which paths of a build context the builder receives.
# The same rules as src/dockerignore (Rust), for pipelines with only sh, awk and git.
#
#   PIPEGEN_IGNORE_FILE=FILE PIPEGEN_CONTEXT=DIR [PIPEGEN_SKIP=N] \
#     LC_ALL=C awk -v builder=buildkit|buildah -f filter.awk
#
# stdin: one path per line, relative to the repository, as git prints it with
# core.quotePath=false (a name with a newline, tab, quote or backslash arrives C-quoted in "...").
# A line may carry metadata before the path: after a TAB (git ls-tree, ls-files -s), or as `skip`
# space-separated fields (PIPEGEN_SKIP). Every line whose path lies in the context directory
# PIPEGEN_CONTEXT (repository-relative) and is sent is printed unchanged. PIPEGEN_IGNORE_FILE is
# the ignore file to apply (empty: none). Values come through the environment, never as text. A pattern pipegen cannot hash exactly as the
# builder sends it, or a path outside the context, is reported as FILE:LINE:COL and the exit is 2.
# LC_ALL=C makes every awk count bytes; runes are decoded here as Go decodes them.

BEGIN {
  for (i = 1; i < 256; i++) { c = sprintf("%c", i); ORD[c] = i; CHR[i] = c }
  BOM = CHR[239] CHR[187] CHR[191]
  if (builder != "buildkit" && builder != "buildah") fail("builder must be buildkit or buildah, not '" builder "'")
  NPAT = 0; HASEXC = 0; LINENO = 0; FAILED = 0
  ignore = ENVIRON["PIPEGEN_IGNORE_FILE"]; context = ENVIRON["PIPEGEN_CONTEXT"]; skip = ENVIRON["PIPEGEN_SKIP"] + 0
  if (ignore != "") {
    while ((got = (getline line < ignore)) > 0) { LINENO++; read_line(line) }
    if (got < 0) fail("cannot read the ignore file " ignore)
    close(ignore)
  }
  if (FAILED) exit 2
  PREFIX = context
  sub(/\/+$/, "", PREFIX)
  if (PREFIX == ".") PREFIX = ""
  if (PREFIX != "") PREFIX = PREFIX "/"
}

{
  rest = $0
  tab = index(rest, "\t")
  if (tab) rest = substr(rest, tab + 1)
  else for (f = 0; f < skip; f++) rest = substr(rest, index(rest, " ") + 1)
  path = (substr(rest, 1, 1) == "\"") ? unquote(rest) : rest
  if (substr(path, 1, length(PREFIX)) != PREFIX) {
    printf "pipegen dockerignore: %s is not in the context %s\n", path, context > "/dev/stderr"
    exit 2
  }
  path = substr(path, length(PREFIX) + 1)
  if (builder == "buildkit" ? bk_sent(path) : bh_sent(path)) print
}

function fail(message) {
  printf "pipegen dockerignore: %s\n", message > "/dev/stderr"
  FAILED = 1
  exit 2
}

# FILE:LINE:COL: message, COL where `snippet` first appears in the line.
function refuse(line, snippet, message,   col) {
  col = (snippet == "") ? 0 : index(line, snippet)
  printf "%s:%d:%d: %s\n", ignore, LINENO, (col ? col : 1), message > "/dev/stderr"
  FAILED = 1
}

# ---------------------------------------------------------------- Go's library, byte for byte

function byte_at(s, i) { return (i >= 1 && i <= length(s)) ? ORD[substr(s, i, 1)] : -1 }

# utf8.DecodeRune over all of s into RUNES[1..n] and WIDTHS[1..n]; an invalid byte is
# U+FFFD of width 1 and sets INVALID.
function decode(s, RUNES, WIDTHS,   n, i, len, b0, b1, b2, b3, lo, hi, cp, w) {
  n = 0; i = 1; len = length(s); INVALID = 0
  while (i <= len) {
    b0 = ORD[substr(s, i, 1)]; cp = 65533; w = 1
    if (b0 < 128) { cp = b0 }
    else if (b0 >= 194 && b0 <= 223) {
      b1 = byte_at(s, i + 1)
      if (b1 >= 128 && b1 <= 191) { cp = (b0 - 192) * 64 + b1 - 128; w = 2 }
    } else if (b0 >= 224 && b0 <= 239) {
      lo = (b0 == 224) ? 160 : 128; hi = (b0 == 237) ? 159 : 191
      b1 = byte_at(s, i + 1); b2 = byte_at(s, i + 2)
      if (b1 >= lo && b1 <= hi && b2 >= 128 && b2 <= 191) { cp = (b0 - 224) * 4096 + (b1 - 128) * 64 + b2 - 128; w = 3 }
    } else if (b0 >= 240 && b0 <= 244) {
      lo = (b0 == 240) ? 144 : 128; hi = (b0 == 244) ? 143 : 191
      b1 = byte_at(s, i + 1); b2 = byte_at(s, i + 2); b3 = byte_at(s, i + 3)
      if (b1 >= lo && b1 <= hi && b2 >= 128 && b2 <= 191 && b3 >= 128 && b3 <= 191) {
        cp = (b0 - 240) * 262144 + (b1 - 128) * 4096 + (b2 - 128) * 64 + b3 - 128; w = 4
      }
    }
    if (w == 1 && b0 >= 128) INVALID = 1
    n++; RUNES[n] = cp; WIDTHS[n] = w; i += w
  }
  return n
}

function is_space(cp) {
  return (cp >= 9 && cp <= 13) || cp == 32 || cp == 133 || cp == 160 || cp == 5760 || (cp >= 8192 && cp <= 8202) \
    || cp == 8232 || cp == 8233 || cp == 8239 || cp == 8287 || cp == 12288
}

# strings.TrimSpace (an invalid byte is never space).
function trim(s,   n, a, b, i, start, len) {
  n = decode(s, TR, TW)
  for (a = 1; a <= n && is_space(TR[a]) && !(TR[a] == 65533 && TW[a] == 1); a++) ;
  for (b = n; b >= a && is_space(TR[b]) && !(TR[b] == 65533 && TW[b] == 1); b--) ;
  start = 1; for (i = 1; i < a; i++) start += TW[i]
  len = 0; for (i = a; i <= b; i++) len += TW[i]
  return substr(s, start, len)
}

# filepath.Clean.
function clean(s,   rooted, n, parts, i, top, out, e) {
  if (s == "") return "."
  rooted = (substr(s, 1, 1) == "/")
  n = split(s, parts, "/")
  top = 0
  for (i = 1; i <= n; i++) {
    e = parts[i]
    if (e == "" || e == ".") continue
    if (e == "..") {
      if (top > 0 && CS[top] != "..") top--
      else if (!rooted) CS[++top] = ".."
      continue
    }
    CS[++top] = e
  }
  out = ""
  for (i = 1; i <= top; i++) out = out (i > 1 ? "/" : "") CS[i]
  if (rooted) return "/" out
  return (out == "") ? "." : out
}

# filepath.Match's syntax check: 1 when the pattern is well formed.
function syntax_ok(p,   n, i, c, ranges) {
  n = length(p); i = 1
  while (i <= n) {
    c = substr(p, i, 1)
    if (c == "\\") { if (i == n) return 0; i += 2 }
    else if (c == "[") {
      i++
      if (substr(p, i, 1) == "^") i++
      ranges = 0
      while (1) {
        if (substr(p, i, 1) == "]" && ranges > 0) { i++; break }
        i = class_char_end(p, i); if (!i) return 0
        if (substr(p, i, 1) == "-") { i = class_char_end(p, i + 1); if (!i) return 0 }
        ranges++
      }
    } else i++
  }
  return 1
}

# Go's getEsc: the index after one class character at i, 0 when bad. (The line is valid UTF-8.)
function class_char_end(p, i,   n, c, b) {
  n = length(p)
  if (i > n) return 0
  c = substr(p, i, 1)
  if (c == "-" || c == "]") return 0
  if (c == "\\") { i++; if (i > n) return 0 }
  b = ORD[substr(p, i, 1)]
  i += (b < 128) ? 1 : (b < 224) ? 2 : (b < 240) ? 3 : 4
  return (i > n) ? 0 : i
}

# ---------------------------------------------------------------- reading the ignore file

function read_line(line,   raw, t, inv, exc) {
  if (builder == "buildkit") {
    if (LINENO == 1 && substr(line, 1, 3) == BOM) line = substr(line, 4)
    if (substr(line, length(line)) == "\r") line = substr(line, 1, length(line) - 1)
    if (substr(line, 1, 1) == "#") return
    t = trim(line)
    if (t == "") return
    inv = (substr(t, 1, 1) == "!")
    if (inv) t = trim(substr(t, 2))
    if (t != "") { t = clean(t); if (length(t) > 1 && substr(t, 1, 1) == "/") t = substr(t, 2) }
    raw = (inv ? "!" : "") t
  } else {
    if (line == "" || substr(line, 1, 1) == "#") return
    raw = line
    sub(/^\/+/, "", raw); sub(/\/+$/, "", raw)
    if (raw == "") return
  }
  if (length(raw) > 4096) { refuse(line, "", "a pattern of " length(raw) " bytes (keep patterns under 4096 bytes)"); return }
  decode(line, LR, LW)
  if (INVALID || index(line, BOM)) { refuse(line, "", "this line is not plain UTF-8 text (an invalid byte, a NUL or a byte-order mark)"); return }
  t = trim(raw)
  if (t == "") return
  t = clean(t); exc = 0
  if (substr(t, 1, 1) == "!") {
    exc = 1; t = substr(t, 2)
    if (builder == "buildah" && t != "") { t = clean(t); sub(/^\//, "", t) }
  }
  if (t == "") { refuse(line, "!", "`!` with no pattern after it: both builders stop with `illegal exclusion pattern: \"!\"`"); return }
  if (!syntax_ok(t)) { refuse(line, "", "`" t "` is not a valid pattern: both builders stop the build with `syntax error in pattern`"); return }
  compile(line, t, exc)
}

# ---------------------------------------------------------------- compiling one pattern

# Pattern k: EXC[k], CLEANED[k], KIND[k] (E exact, P prefix, S suffix: KSTR[k]; R: tokens
# TT[k,j] / TV[k,j], j = 1..TN[k]). Token types: r rune TV, n `?`, s `*`, d `(.*/)?`, t `.*`,
# p buildah's `(/.*)?`, c class (TNEG[k,j], ranges TLO/THI[k,j,1..TNR[k,j]]).
function compile(line, t, exc,   n, k, j, ch, detected, first, nt, e) {
  n = decode(t, CR, CW)
  k = NPAT + 1; nt = 0; detected = "E"; first = 1; j = 1
  while (j <= n) {
    ch = CR[j]; j++
    if (ch == 42 && j <= n && CR[j] == 42) {
      j++
      if (j <= n && CR[j] == 47) j++
      if (j > n) {
        if (builder == "buildkit" && detected == "E") detected = "P"
        else { TT[k, ++nt] = "t"; detected = "R" }
      } else { TT[k, ++nt] = "d"; detected = "R" }
      if (first) detected = "S"
    } else if (ch == 42) { TT[k, ++nt] = "s"; detected = "R" }
    else if (ch == 63) { TT[k, ++nt] = "n"; detected = "R" }
    else if (ch == 92) {
      e = CR[j]; j++
      if (!literal_escape(line, e)) return
      TT[k, ++nt] = "r"; TV[k, nt] = e; detected = "R"
    } else if (ch == 91) {
      nt++
      j = compile_class(line, k, nt, j, n)
      if (!j) return
      detected = "R"
    } else if (ch == 93) { TT[k, ++nt] = "r"; TV[k, nt] = ch; detected = "R" }
    else if (ch == 94) { refuse(line, "^", "both builders pass `^` into a regular expression, where it is an anchor, not a character"); return }
    else if (builder == "buildah" && (ch == 43 || ch == 40 || ch == 41 || ch == 124 || ch == 123 || ch == 125)) {
      refuse(line, CHR[ch], "buildah passes `" CHR[ch] "` into a regular expression as an operator; write `\\" CHR[ch] "` to mean the character")
      return
    } else { TT[k, ++nt] = "r"; TV[k, nt] = ch }
    first = 0
  }
  NPAT = k; EXC[k] = exc; CLEANED[k] = t; TN[k] = nt
  if (exc) HASEXC = 1
  # Necessary conditions checked on bytes before decoding (a speed-up only): the ASCII runes the
  # program starts with, and, in BuildKit, those it ends with.
  HEAD[k] = ""; for (j = 1; j <= nt && TT[k, j] == "r" && TV[k, j] < 128; j++) HEAD[k] = HEAD[k] CHR[TV[k, j]]
  TAIL[k] = ""; for (j = nt; j >= 1 && TT[k, j] == "r" && TV[k, j] < 128; j--) TAIL[k] = CHR[TV[k, j]] TAIL[k]
  if (builder == "buildah") TAIL[k] = ""
  if (builder == "buildah") { TT[k, ++nt] = "p"; TN[k] = nt; KIND[k] = "R"; return }
  KIND[k] = detected
  if (detected == "E") KSTR[k] = t
  else if (detected == "P") KSTR[k] = substr(t, 1, length(t) - 2)
  else if (detected == "S") KSTR[k] = substr(t, 3)
}

# An escaped rune is a literal only when it is ASCII punctuation or space.
function literal_escape(line, e) {
  if (e < 128 && !((e >= 48 && e <= 57) || (e >= 65 && e <= 90) || (e >= 97 && e <= 122))) return 1
  refuse(line, "\\", "both builders pass this escape into a Go regular expression, where it is not the character itself; drop the `\\`")
  return 0
}

# The class after its `[` at j: ranges into token (k, t); the index after its `]`, 0 if refused.
function compile_class(line, k, t, j, n,   nr, lo, hi) {
  TT[k, t] = "c"; TNEG[k, t] = 0; nr = 0
  if (CR[j] == 94) { TNEG[k, t] = 1; j++ }
  while (1) {
    if (CR[j] == 93 && nr > 0) { TNR[k, t] = nr; return j + 1 }
    lo = class_rune(line, j); if (lo < 0) return 0
    j = CJ; hi = lo
    if (CR[j] == 45) { hi = class_rune(line, j + 1); if (hi < 0) return 0; j = CJ }
    if (lo > hi) { refuse(line, "-", "this range runs backwards: Go's regexp rejects it, and BuildKit fails the build"); return 0 }
    nr++; TLO[k, t, nr] = lo; THI[k, t, nr] = hi
  }
}

# One class character at j (CJ: the index after it), or -1 when refused.
function class_rune(line, j,   c) {
  c = CR[j]; j++
  if (c == 92) { c = CR[j]; j++; if (!literal_escape(line, c)) return -1 }
  else if (c == 42 || c == 63) {
    refuse(line, CHR[c], "inside `[...]` both builders turn `" CHR[c] "` into a class of their own; write `\\" CHR[c] "`")
    return -1
  } else if (c == 91 && CR[j] == 58) {
    refuse(line, "[:", "`[:` inside `[...]` starts a POSIX class in Go's regexp, not in filepath.Match; write `\\[:`")
    return -1
  }
  CJ = j
  return c
}

# ---------------------------------------------------------------- matching

# Whether pattern k matches s; PN runes of s are in PR (decoded by the caller for R patterns).
function pmatch(k, s,   kind, L) {
  kind = KIND[k]
  if (kind == "E") return s == KSTR[k]
  if (kind == "P") return substr(s, 1, length(KSTR[k])) == KSTR[k]
  if (kind == "S") {
    L = length(KSTR[k])
    if (length(s) >= L && substr(s, length(s) - L + 1) == KSTR[k]) return 1
    return substr(KSTR[k], 1, 1) == "/" && s == substr(KSTR[k], 2)
  }
  if (HEAD[k] != "" && substr(s, 1, length(HEAD[k])) != HEAD[k]) return 0
  L = length(TAIL[k])
  if (L && (length(s) < L || substr(s, length(s) - L + 1) != TAIL[k])) return 0
  return run(k, PN)
}

# The positions reachable after each token (see pattern.rs `run`).
function run(k, n,   p, j, ty, v, any, r, hit, lo) {
  for (p = 0; p <= n; p++) AT[p] = 0
  AT[0] = 1; lo = 0
  for (j = 1; j <= TN[k]; j++) {
    ty = TT[k, j]
    for (p = lo; p <= n; p++) NX[p] = 0
    if (ty == "r") { v = TV[k, j]; for (p = lo; p < n; p++) if (AT[p] && PR[p + 1] == v) NX[p + 1] = 1 }
    else if (ty == "n") { for (p = lo; p < n; p++) if (AT[p] && PR[p + 1] != 47) NX[p + 1] = 1 }
    else if (ty == "c") {
      for (p = lo; p < n; p++) if (AT[p]) {
        v = PR[p + 1]; hit = 0
        for (r = 1; r <= TNR[k, j]; r++) if (v >= TLO[k, j, r] && v <= THI[k, j, r]) { hit = 1; break }
        if (hit != TNEG[k, j]) NX[p + 1] = 1
      }
    }
    else if (ty == "s") spread(AT, NX, lo, n, 47)
    else if (ty == "t") spread(AT, NX, lo, n, 10)
    else if (ty == "d") {
      spread(AT, TMP, lo, n, 10)
      for (p = lo; p <= n; p++) NX[p] = AT[p] || (p > lo && PR[p] == 47 && TMP[p - 1])
    } else if (ty == "p") {
      for (p = lo; p <= n; p++) TMP2[p] = 0
      for (p = lo; p < n; p++) if (AT[p] && PR[p + 1] == 47) TMP2[p + 1] = 1
      spread(TMP2, NX, lo, n, 10)
      for (p = lo; p <= n; p++) if (AT[p]) NX[p] = 1
    }
    # Positions before lo stay unreachable: every token moves forward.
    any = -1
    for (p = lo; p <= n; p++) { AT[p] = NX[p]; if (NX[p] && any < 0) any = p }
    if (any < 0) return 0
    lo = any
  }
  return AT[n]
}

# Any number of runes other than `stop`, from the positions lo..n in FROM into TO.
function spread(FROM, TO, lo, n, stop,   p, carry) {
  carry = 0
  for (p = lo; p <= n; p++) {
    if (FROM[p]) carry = 1
    TO[p] = carry
    if (p < n && PR[p + 1] == stop) carry = 0
  }
}

# ---------------------------------------------------------------- the walks (see walk.rs)

function bk_sent(path,   start, i, prefix, parent) {
  parent = ""; start = 1
  while ((i = index(substr(path, start), "/")) > 0) {
    prefix = substr(path, 1, start + i - 2)
    if (prefix in DIRFLAGS) parent = DIRFLAGS[prefix]
    else { bk_eval(prefix, parent); DIRFLAGS[prefix] = FLAGS; parent = FLAGS }
    start += i
  }
  return !bk_eval(path, parent)
}

# Excluded or not; FLAGS: which patterns matched s (or a directory above it), one digit each.
function bk_eval(s, parent,   k, hit, excluded, flags, decoded) {
  excluded = 0; flags = ""; decoded = 0
  for (k = 1; k <= NPAT; k++) {
    hit = (parent != "" && substr(parent, k, 1) == "1")
    if (!hit) {
      if (EXC[k] != excluded) { flags = flags "0"; continue }
      if (KIND[k] == "R" && !decoded) { PN = decode(s, PR, PW); decoded = 1 }
      hit = pmatch(k, s)
    }
    flags = flags (hit ? "1" : "0")
    if (hit) excluded = !EXC[k]
  }
  FLAGS = flags
  return excluded
}

function bh_sent(path,   start, i, prefix, entered) {
  start = 1
  while ((i = index(substr(path, start), "/")) > 0) {
    prefix = substr(path, 1, start + i - 2)
    if (prefix in DIRENTERED) entered = DIRENTERED[prefix]
    else { entered = !bh_excluded(prefix) || bh_opened(prefix); DIRENTERED[prefix] = entered }
    if (!entered) return 0
    start += i
  }
  return !bh_excluded(path)
}

function bh_excluded(s,   k, excluded) {
  excluded = 0
  if (NPAT == 0) return 0
  PN = decode(s, PR, PW)
  for (k = 1; k <= NPAT; k++) if (pmatch(k, s)) excluded = !EXC[k]
  return excluded
}

# An excluded directory is entered when an exception's text, with `/` after it, starts with it.
function bh_opened(d,   k, spec) {
  if (!HASEXC) return 0
  for (k = 1; k <= NPAT; k++) if (EXC[k]) {
    spec = CLEANED[k]
    sub(/^\/+/, "", spec); sub(/\/+$/, "", spec)
    if (substr(spec "/", 1, length(d)) == d) return 1
  }
  return 0
}

# ---------------------------------------------------------------- git's C quoting

function unquote(q,   out, i, n, c, d) {
  out = ""; n = length(q) - 1
  for (i = 2; i <= n; i++) {
    c = substr(q, i, 1)
    if (c != "\\") { out = out c; continue }
    c = substr(q, ++i, 1)
    if (c ~ /[0-7]/) {
      d = (ORD[c] - 48) * 64 + (ORD[substr(q, i + 1, 1)] - 48) * 8 + ORD[substr(q, i + 2, 1)] - 48
      out = out CHR[d]; i += 2
    } else if (c == "a") out = out CHR[7]
    else if (c == "b") out = out CHR[8]
    else if (c == "t") out = out CHR[9]
    else if (c == "n") out = out CHR[10]
    else if (c == "v") out = out CHR[11]
    else if (c == "f") out = out CHR[12]
    else if (c == "r") out = out CHR[13]
    else out = out c
  }
  return out
}
