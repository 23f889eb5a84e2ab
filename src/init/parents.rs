//! The `from` entries of an inferred image: the build argument that carries each parent, and
//! what to change in a Dockerfile that names a parent where no build argument reaches.
//!
//! pipegen passes each parent's reference in one build argument. When the Dockerfile reads its
//! parent from an argument of its own (`ARG BASE_IMAGE=…/base-notebook` / `FROM $BASE_IMAGE`),
//! the `from` entry names that argument (`{ image: base-notebook, arg: BASE_IMAGE }`) and the
//! Dockerfile stays as it is. A parent written out (`FROM ros:humble-ros-base-jammy`) or pieced
//! together from several arguments cannot be passed: the edge is kept, so the builds are ordered,
//! and a note says how to change the Dockerfile.

use std::collections::{BTreeMap, BTreeSet};

use super::infer::{Facts, File, How, ImageId, Kind};
use crate::model::{Name, Parent, ParentEdge, Parents};
use crate::naming;

/// An image's parents as the model writes them.
pub(super) struct Edges {
    pub from: Option<Parents>,
    pub notes: Vec<String>,
    /// Build arguments that carry a parent or chose one: not the image's own arguments.
    pub carriers: BTreeSet<String>,
}

pub(super) fn edges(file: &File, fact: &Facts, names: &BTreeMap<ImageId, String>) -> Edges {
    let mut parents: Vec<(&String, &Vec<super::infer::Mention>)> =
        fact.parents.iter().map(|(id, mentions)| (&names[id], mentions)).collect();
    parents.sort_by(|a, b| a.0.cmp(b.0));

    let mut notes = Vec::new();
    let mut carriers = BTreeSet::new();
    let mut used: BTreeMap<String, &str> = BTreeMap::new();
    let mut entries = Vec::new();
    for (parent, mentions) in parents {
        let default = naming::parent_arg(parent);
        let mut chosen: Option<&str> = None;
        for (kind, what, how) in mentions {
            let reachable = match how {
                How::Convention(var) => {
                    carriers.insert(var.clone());
                    if *kind == Kind::From && !file.global_args.contains_key(var) {
                        notes.push(format!(
                            "{what}: declare `ARG {var}` before the first FROM, or pipegen's build argument cannot reach it."
                        ));
                    }
                    Some(var.as_str())
                }
                How::ViaArg { var, sole: true, .. } if arg_reaches(file, fact, *kind, var) => {
                    carriers.insert(var.clone());
                    Some(var.as_str())
                }
                How::ViaArg { var, value, sole } => {
                    carriers.insert(var.clone());
                    let problem = if *sole {
                        format!(
                            "{what} reads image `{parent}` from {var} (`{value}`), which is not a build argument there"
                        )
                    } else {
                        format!(
                            "{what} pieces image `{parent}` together from {var} (`{value}`), so pipegen cannot pass this pipeline's build"
                        )
                    };
                    notes.push(advice(&problem, *kind, parent, &default, value));
                    None
                }
                How::Literal(text) => {
                    let verb = match kind {
                        Kind::From => "pulls",
                        Kind::CopyFrom => "copies from",
                        Kind::MountFrom => "mounts",
                    };
                    let problem = format!(
                        "{what} names image `{parent}` literally, so its build {verb} `{text}`, not this pipeline's build"
                    );
                    notes.push(advice(&problem, *kind, parent, &default, text));
                    None
                }
            };
            match (chosen, reachable) {
                (None, Some(var)) => chosen = Some(var),
                (Some(first), Some(var)) if first != var => notes.push(format!(
                    "{what} reads image `{parent}` from {var}, but an earlier line reads it from {first}, which pipegen passes: read it from {first} here too."
                )),
                _ => {}
            }
        }
        let mut arg = chosen.map_or_else(|| default.clone(), str::to_string);
        if let Some(other) = used.get(&arg) {
            notes.push(format!(
                "The Dockerfile reads image `{parent}` from {arg}, which already carries image `{other}`: pipegen passes `{parent}` as {default}; read it from there."
            ));
            arg = default.clone();
        }
        let mut n = 2;
        while used.contains_key(&arg) {
            arg = format!("{default}_{n}");
            n += 1;
        }
        used.insert(arg.clone(), parent);
        carriers.insert(arg.clone());
        entries.push(if arg == default {
            Parent::Name(Name(parent.clone()))
        } else {
            Parent::Edge(ParentEdge { image: Name(parent.clone()), arg: Some(arg) })
        });
    }
    let from = match entries.len() {
        0 => None,
        1 => Some(match entries.pop().expect("one entry") {
            Parent::Name(name) => Parents::One(name),
            Parent::Edge(edge) => Parents::Edge(edge),
        }),
        _ => Some(Parents::Many(entries)),
    };
    Edges { from, notes, carriers }
}

/// Whether a build argument named `var` reaches the reference: a FROM line sees the ARGs
/// declared before the first FROM, a `COPY --from` (or `RUN --mount=from=`) the ARGs of its stage (not its ENVs).
fn arg_reaches(file: &File, fact: &Facts, kind: Kind, var: &str) -> bool {
    match kind {
        Kind::From => file.global_args.contains_key(var),
        Kind::CopyFrom | Kind::MountFrom => {
            fact.stages.iter().any(|&t| file.stages[t].args.iter().any(|(name, _)| name == var))
        }
    }
}

/// How to let pipegen pass `parent` where the Dockerfile names it some other way: an ARG whose
/// default is the reference it uses today, so a plain `docker build` still does the same.
fn advice(problem: &str, kind: Kind, parent: &str, arg: &str, reference: &str) -> String {
    let fix = match kind {
        Kind::From => format!("write `ARG {arg}={reference}` before the first FROM and `FROM ${{{arg}}}`"),
        Kind::CopyFrom => format!(
            "write `ARG {arg}={reference}` before the first FROM, `FROM ${{{arg}}} AS {parent}` and `COPY --from={parent}`"
        ),
        Kind::MountFrom => format!(
            "write `ARG {arg}={reference}` before the first FROM, `FROM ${{{arg}}} AS {parent}` and `RUN --mount=from={parent},…`"
        ),
    };
    format!("{problem}: {fix}.")
}
