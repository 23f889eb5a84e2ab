# The external base images of a Dockerfile (on stdin), one a line: the twin of
# src/upstream/from.rs, rule for rule (read its comment). POSIX awk (busybox, mawk, gawk), run
# with LC_ALL=C. From the environment: PIPEGEN_ARGS (the build's argument names, one a line)
# with PIPEGEN_ARG_<NAME> each, PIPEGEN_PARENTS (`<ARG>=<image>=<KEY>` lines) and
# PIPEGEN_PARENT_ARGS (names): an image that mentions a parent's argument is skipped.
BEGIN {
  n = split(ENVIRON["PIPEGEN_ARGS"], names, "\n")
  for (i = 1; i <= n; i++) if (names[i] != "") passed[names[i]] = ENVIRON["PIPEGEN_ARG_" names[i]]
  n = split(ENVIRON["PIPEGEN_PARENTS"], names, "\n")
  for (i = 1; i <= n; i++) if (names[i] != "") { p = names[i]; sub(/=.*/, "", p); parents[p] = 1 }
  n = split(ENVIRON["PIPEGEN_PARENT_ARGS"], names, "\n")
  for (i = 1; i <= n; i++) if (names[i] != "") parents[names[i]] = 1
  continuing = 0
  seen_from = 0
  ESC = "\\"
  directives = 1
}
# One line of the parser directives at the top (src/directives.rs): sets ESC from `# escape=`;
# the first other line ends them (directives = 0), and a refused one leaves ESC a backslash.
# A directive is known by its key's first letter: e(scape), s(yntax) or c(heck).
function directive(s,    t, v) {
  sub(/^[ \t]*/, "", s)
  if (NR == 1 && s ~ /^#!/) return
  t = tolower(s)
  if (!match(t, /^#[ \t]*(escape|syntax|check)[ \t]*=[ \t]*[^ \t]/)) { directives = 0; return }
  v = substr(s, RLENGTH)
  sub(/[ \t]*$/, "", v)
  sub(/^#[ \t]*/, "", t)
  t = substr(t, 1, 1)
  if ((t in said) || (t == "e" && v != "`" && v != "\\")) { ESC = "\\"; directives = 0; return }
  said[t] = 1
  if (t == "e") ESC = v
}
# A reference at position i of s (where s has a `$`): sets R_NAME, R_OP (`-`, `+` or empty),
# R_WORD and R_LEN; 0 when the `$` starts none.
function ref_at(s, i,    rest, closing, inner, m) {
  rest = substr(s, i)
  if (substr(rest, 2, 1) == "{") {
    closing = index(rest, "}")
    if (closing == 0) return 0
    inner = substr(rest, 3, closing - 3)
    if (!match(inner, /^[A-Za-z_][A-Za-z0-9_]*/)) return 0
    R_NAME = substr(inner, 1, RLENGTH)
    m = substr(inner, RLENGTH + 1)
    if (m == "") { R_OP = ""; R_WORD = "" }
    else if (substr(m, 1, 2) == ":-" || substr(m, 1, 2) == ":+") { R_OP = substr(m, 2, 1); R_WORD = substr(m, 3) }
    else return 0
    R_LEN = closing
    return 1
  }
  if (!match(substr(rest, 2), /^[A-Za-z_][A-Za-z0-9_]*/)) return 0
  R_NAME = substr(rest, 2, RLENGTH)
  R_OP = ""
  R_WORD = ""
  R_LEN = 1 + RLENGTH
  return 1
}
# s with its references replaced by the global arguments; PARENT is 1 when one names a parent's
# argument.
function subst(s,    i, out, v) {
  out = ""
  PARENT = 0
  i = 1
  while (i <= length(s)) {
    if (substr(s, i, 1) == "$" && ref_at(s, i)) {
      if (R_NAME in parents) PARENT = 1
      v = (R_NAME in globals) ? globals[R_NAME] : ""
      if (R_OP == "") out = out v
      else if (R_OP == "-") out = out (v == "" ? R_WORD : v)
      else out = out (v == "" ? "" : R_WORD)
      i += R_LEN
      continue
    }
    out = out substr(s, i, 1)
    i++
  }
  return out
}
function unquote(v,    q) {
  q = substr(v, 1, 1)
  if (length(v) >= 2 && (q == "\"" || q == "'") && substr(v, length(v), 1) == q) return substr(v, 2, length(v) - 2)
  return v
}
function instruction(s,    ws, m, j, kw, word, eq, name, def, image, stage, lower) {
  # The default field splitting: at runs of blanks, none at either end.
  m = split(s, ws)
  if (m == 0) return
  kw = toupper(ws[1])
  if (kw == "ARG" && !seen_from) {
    for (j = 2; j <= m; j++) {
      word = ws[j]
      eq = index(word, "=")
      if (eq) { name = substr(word, 1, eq - 1); def = unquote(substr(word, eq + 1)) } else name = word
      if (name in passed) globals[name] = passed[name]
      else if (eq) globals[name] = subst(def)
      else delete globals[name]
    }
  } else if (kw == "FROM") {
    seen_from = 1
    j = 2
    while (j <= m && substr(ws[j], 1, 2) == "--") j++
    if (j > m) return
    image = ws[j]
    stage = ""
    if (j + 2 <= m && tolower(ws[j + 1]) == "as") stage = tolower(ws[j + 2])
    image = subst(image)
    if (!PARENT) {
      lower = tolower(image)
      if (image != "" && lower != "scratch" && !(lower in stages) && !(image in printed)) {
        printed[image] = 1
        print image
      }
    }
    if (stage != "") stages[stage] = 1
  }
}
# The here-documents instruction s opens (src/heredoc.rs, rule for rule): each appended to
# HD_NAME (its terminator) and HD_CHOMP (1 for `<<-`: leading tabs go before the comparison).
# Words are split as there, each kept as written (raw) and without quotes and escaping
# backslashes (plain).
function open_heredocs(s,    i, c, q, w, u, nw, raw, plain, f, k, n) {
  nw = 0
  q = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (q == "" && (c == " " || c == "\t")) {
      if (w != "") { raw[++nw] = w; plain[nw] = u }
      w = u = ""
      continue
    }
    if (q == "" && c == "<" && substr(s, i + 1, 1) == "<") {
      c = "<<"
      i++
      while (substr(s, i + 1, 1) == " " || substr(s, i + 1, 1) == "\t") c = c substr(s, ++i, 1)
      w = w c
      u = u c
      continue
    }
    if (q != "" && c == q) q = ""
    else if (q == "" && (c == "'" || c == "\"")) q = c
    else if (q != "'" && c == "\\") { w = w c; c = substr(s, ++i, 1); u = u c }
    else u = u c
    w = w c
  }
  if (w != "") { raw[++nw] = w; plain[nw] = u }
  f = toupper(raw[1]) == "ONBUILD" ? 2 : 1
  k = toupper(raw[f])
  if (k != "RUN" && k != "COPY" && k != "ADD") return
  for (i = f + 1; i <= nw; i++) {
    if (!match(raw[i], /^[0-9]*<<-?[ \t]*/)) continue
    n = RLENGTH
    if (index(substr(raw[i], n + 1), "<") || substr(plain[i], n + 1) == "") continue
    HD_NAME[++HD_N] = substr(plain[i], n + 1)
    match(raw[i], /^[0-9]*<</)
    HD_CHOMP[HD_N] = substr(raw[i], RLENGTH + 1, 1) == "-"
  }
}
{
  line = $0
  sub(/\r$/, "", line)
  if (NR == 1 && substr(line, 1, 3) == "\357\273\277") line = substr(line, 4)
  if (directives) directive(line)
  # A here-document's body: skipped up to its terminator.
  if (HD_I < HD_N) {
    last = line
    if (HD_CHOMP[HD_I + 1]) sub(/^\t*/, "", last)
    if (last == HD_NAME[HD_I + 1]) HD_I++
    next
  }
  lead = line
  sub(/^[ \t]*/, "", lead)
  if (lead == "" || substr(lead, 1, 1) == "#") next
  end = line
  sub(/[ \t]*$/, "", end)
  if (substr(end, length(end), 1) == ESC) { body = substr(end, 1, length(end) - 1); more = 1 } else { body = line; more = 0 }
  if (continuing) joined = current " " body
  else joined = body
  if (more) { current = joined; continuing = 1 }
  else { continuing = 0; instruction(joined); if (index(joined, "<<")) open_heredocs(joined) }
}
END {
  if (continuing) instruction(current)
}
