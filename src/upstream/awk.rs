//! The base-image extraction as a POSIX awk program (`from.awk`), for build jobs that have only
//! `sh`, `awk` and `git`: the same rules as [`super::from::bases`], compared with it by the unit
//! tests below (under the awk on PATH) and by `tests/tags_script.rs` (through the tags).

/// The program's source, comments included.
pub const SOURCE: &str = include_str!("from.awk");

/// The program as a pipeline embeds it ([`crate::awk::compact`]); the tests below run this text.
pub fn program() -> String {
    crate::awk::compact(SOURCE)
}

/// The shell command that reads a Dockerfile on stdin and prints its base images, one a line;
/// the build's arguments and parents come from the job's variables (see `from.awk`). Every
/// workflow carries it once, as one single-quoted word ([`crate::awk::single_quoted`]).
pub fn command() -> String {
    format!("LC_ALL=C awk {}", crate::awk::single_quoted(&program()))
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    /// Dockerfiles, build arguments and parent arguments: each one's bases by the awk program
    /// under every awk here (busybox, mawk, gawk when installed) are those of `from::bases`.
    #[test]
    fn awk_finds_the_bases_rust_finds() {
        // (Dockerfile, build arguments, parent arguments)
        type Case<'c> = (&'c str, &'c [(&'c str, &'c str)], &'c [&'c str]);
        let cases: &[Case] = &[
            ("FROM debian:bookworm\nRUN true\nFROM alpine:3.20\nFROM debian:bookworm\n", &[], &[]),
            (
                "ARG OS=debian\nARG RELEASE=\"bookworm\" REG=${OS:+docker.io/library/}\nFROM ${REG}$OS:${RELEASE}-slim\nARG LATE=x\nFROM ${LATE:-busybox}\n",
                &[("OS", "ubuntu"), ("RELEASE", "noble")],
                &[],
            ),
            ("ARG OS='alpine'\nARG EMPTY\nFROM $OS${EMPTY:-:3}${OS:+.20}\n", &[], &[]),
            (
                "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS build\nFROM scratch\nFROM SCRATCH as Out\nFROM build\nFROM out\nFROM $BASE_IMAGE\nFROM golang:1.22\n",
                &[],
                &["BASE_IMAGE"],
            ),
            ("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nFROM x:${V}\n", &[("BASE_IMAGE", "x:1"), ("V", "2")], &[]),
            (
                "# syntax=docker/dockerfile:1\r\nfrom --platform=$BUILDPLATFORM \\\r\n  # a comment inside\n\n   golang@sha256:abc \\  \n  As builder\nFrOm --platform=linux/arm64 --foo=bar alpine\n",
                &[],
                &[],
            ),
            ("FROM a$\nFROM b${\nFROM c${1x}\nFROM d${X:=y}\nFROM\nFROM --platform=x\nFROM e \\", &[], &[]),
            (
                "FROM alpine:3.20 AS base\nCOPY <<EOF /init.sql\nSELECT name\nFROM users;\nEOF\nRUN <<-'SH' bash && cat 2<<\"DATA\" >x\n\tFROM tabbed\n\tSH\nFROM data \\\nDATA\nFROM debian:bookworm\n",
                &[],
                &[],
            ),
            (
                "FROM a\nRUN echo \"use <<EOF\" '<<EOF' x<<EOF $((1<<3)) <<<EOF <<\nFROM b\nLABEL x=<<EOF\nFROM c\nrun cat <<E\"O\"F\nFROM in-body\nEOF\nFROM d\nADD <<A\\\"B <<'C D' /x\nFROM e\nA\"B\nFROM f\nC D\nFROM g\nRUN <<END\nFROM h\n",
                &[],
                &[],
            ),
            (
                "FROM a\nRUN cat <<\"EOF\nFROM b\nEOF\nFROM c\nRUN echo \"x <<EOF\nFROM d\nCOPY <<EOF\\\nFROM e\nEOF\\\nFROM f\n",
                &[],
                &[],
            ),
            (
                "FROM a\nCOPY << EOF <<  \"E F\" /x\nFROM b\nEOF\nFROM c\nE F\nFROM d\nONBUILD RUN <<-X\nFROM e\n\t\tX\nFROM f\nRUN <<   -Y <<- Z cat<<W\nFROM g\n-Y\nFROM h\nRUN [\"<<J\"]\nonbuild label <<K\nFROM i\n",
                &[],
                &[],
            ),
            (
                "ARG A=1 B=${A}2\nFROM r/${B}:${A:-z}\nARG C=late\nFROM ${C:-d}\n",
                &[("TOOL", "${parent:tool}")],
                &["TOOL"],
            ),
            // Parser directives: a backtick continues lines, so `C:\` ends one.
            (
                "# syntax=x\n #ESCAPE = ` \r\nFROM win AS a\nCOPY x C:\\\nFROM b `\n  AS c\nRUN dir \\\nFROM d\n",
                &[],
                &[],
            ),
            ("\u{feff}# escape=`\nFROM a\nRUN x \\\nFROM b\n", &[], &[]),
            ("#!/usr/bin/env buildctl\n# check=skip=all\n# escape=`\nFROM a\nRUN x \\\nFROM b\n", &[], &[]),
            ("\u{feff}FROM a\nFROM b\n", &[], &[]),
            // After a blank line, a comment or an unknown key, `# escape=` is a comment.
            ("\n# escape=`\nFROM a\nRUN x \\\nFROM b\nFROM c\n", &[], &[]),
            ("# foo=bar\n# escape=`\nFROM a\nRUN x \\\nFROM b\nFROM c\n", &[], &[]),
            // Refused directives (the build fails): read with a backslash.
            ("# escape=`\n# escape=`\nFROM a\nRUN x \\\nFROM b\nFROM c\n", &[], &[]),
            ("# escape=x\nFROM a\nRUN x \\\nFROM b\nFROM c\n", &[], &[]),
            // Continued lines joined with nothing between; an escaped escape continues none.
            ("ARG W=debian\\\n:12\nFROM $W\nFROM deb\\\nian:1\\  \r\n  AS b\nFROM b\n", &[], &[]),
            ("ARG W=a\\\n  b\nFROM $W\nRUN dir C:\\\\\nFROM c\n", &[], &[]),
            ("# escape=`\nFROM a\nRUN dir ``\nFROM b `\n AS c\nFROM c\n", &[], &[]),
            // Nested defaults, set and unset arguments.
            (
                "ARG Y=deb\nARG X=${Z:-${Y}}\nFROM img:${X}\nARG A=${B:-${C:-${Y:+c-$Y}}} W=${Y:+\"${A}\"x}\nFROM $A\nFROM $W\n",
                &[("Y", "ubu")],
                &[],
            ),
            ("ARG E=\nARG U\nFROM a${E-x}b${E:-y}c${U-z}d${E+w}e${E:+v}\nFROM ${E?x}${U:?y}\n", &[], &[]),
            ("ARG X=x\nFROM ${X?unset}${X:?empty}:$-$1$@$\nFROM ${NOPE:-$BASE}\nFROM b\n", &[], &["BASE"]),
            // Quotes and escapes.
            (
                "ARG Y=no\nARG S='$Y' E=\\$Y D=\"a\\\"${Y}\\q\" B=a\\ b \"\" T=\"x y\"z\nFROM i:$S\nFROM i:$E\nFROM $D\nFROM $B\nFROM $T\nFROM \"quoted:1\"\n",
                &[],
                &[],
            ),
            ("# escape=`\nARG X=a`$Y\\b\nFROM $X\n", &[], &[]),
            // Form feeds and vertical tabs are blanks.
            ("FROM debian:12\x0cAS x\nFROM x\nFROM\x0ba\x0b\x0bAS\x0cy\r\nFROM Y\n\x0c# a comment\n", &[], &[]),
            ("ARG\x0cV=1\x0bW=2\nFROM a:$V$W\n", &[], &[]),
            // Refused words, as written.
            (
                "ARG V=v1\nARG P=${V#v} R=${U?no} Q='x\nFROM a:$P\nFROM b:$Q\nFROM c:$R\nFROM d${}\nFROM e${V/1/2}\nFROM f${V\nFROM g\"${V}\n",
                &[],
                &[],
            ),
        ];
        let mut awks: Vec<Vec<&str>> = vec![vec!["awk"]];
        for (binary, argv) in [("mawk", vec!["mawk"]), ("gawk", vec!["gawk"]), ("busybox", vec!["busybox", "awk"])] {
            if Command::new(binary).arg("--help").output().is_ok() {
                awks.push(argv);
            }
        }
        let program = super::program();
        for (text, args, parents) in cases {
            let owned: Vec<(String, String)> = args.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
            let parent_args: Vec<String> = parents.iter().map(|p| p.to_string()).collect();
            let want = super::super::from::bases(text.as_bytes(), &owned, &parent_args);
            for argv in &awks {
                let mut command = Command::new(argv[0]);
                command.args(&argv[1..]).arg(&program).env("LC_ALL", "C");
                command.env("PIPEGEN_ARGS", args.iter().map(|(n, _)| *n).collect::<Vec<_>>().join("\n"));
                for (name, value) in *args {
                    command.env(format!("PIPEGEN_ARG_{name}"), value);
                }
                command.env(
                    "PIPEGEN_PARENTS",
                    parents.iter().map(|p| format!("{p}=image=KEY")).collect::<Vec<_>>().join("\n"),
                );
                command.env_remove("PIPEGEN_PARENT_ARGS");
                let output = command
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .and_then(|mut child| {
                        use std::io::Write;
                        child.stdin.take().expect("stdin").write_all(text.as_bytes())?;
                        child.wait_with_output()
                    })
                    .expect("run awk");
                assert!(output.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&output.stderr));
                let got: Vec<String> = String::from_utf8_lossy(&output.stdout).lines().map(str::to_string).collect();
                assert_eq!(got, want, "{argv:?} on {text:?}");
            }
        }
    }
}
