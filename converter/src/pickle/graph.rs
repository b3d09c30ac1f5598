//! The object graph a pickle builds, and what can be read off it without knowing numpy's
//! array format: the dictionary's entries and short descriptions of values for messages.

use std::collections::HashMap;

use super::{PickleError, Result, one_line, plural};

/// The index of a [`Node`] in [`Graph::nodes`].
pub(super) type Id = usize;

/// A Python object as far as this reader needs to know it.
#[derive(Debug)]
pub(super) enum Node {
    None,
    Bool(bool),
    Int(i64),
    /// An integer that does not fit in `i64`.
    BigInt,
    Float(f64),
    Str(String),
    /// A Python 2 `str` (protocols 0-2 `STRING` opcodes): bytes that may serve as text.
    OldStr(Vec<u8>),
    Bytes(Vec<u8>),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    Global(String, String),
    Object(Object),
}

/// The result of calling a global (or instantiating a class): never executed, only kept.
#[derive(Debug)]
pub(super) struct Object {
    pub(super) class: Id,
    /// The argument tuple.
    pub(super) args: Id,
    pub(super) state: Option<Id>,
    /// Items added by `SETITEM(S)` (dict subclasses such as `OrderedDict`).
    pub(super) items: Vec<(Id, Id)>,
}

/// numpy callables this reader understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Reconstruct,
    FromBuffer,
    Scalar,
    Dtype,
}

fn numpy_role(module: &str, name: &str) -> Option<Role> {
    let sub = module.strip_prefix("numpy")?;
    let sub = sub.strip_prefix('.').unwrap_or(sub);
    let sub = sub
        .strip_prefix("core.")
        .or_else(|| sub.strip_prefix("_core."))
        .unwrap_or(sub);
    match (sub, name) {
        ("multiarray", "_reconstruct") => Some(Role::Reconstruct),
        ("numeric", "_frombuffer") => Some(Role::FromBuffer),
        ("multiarray", "scalar") => Some(Role::Scalar),
        ("", "dtype") => Some(Role::Dtype),
        _ => None,
    }
}

const NONE_NODE: Node = Node::None;

/// The nodes built by a pickle and the id of the pickled object.
pub(super) struct Graph {
    pub(super) nodes: Vec<Node>,
    pub(super) root: Id,
}

impl Graph {
    pub(super) fn node(&self, id: Id) -> &Node {
        self.nodes.get(id).unwrap_or(&NONE_NODE)
    }

    /// An object's call arguments.
    pub(super) fn args(&self, o: &Object) -> &[Id] {
        match self.node(o.args) {
            Node::Tuple(items) => items,
            _ => &[],
        }
    }

    pub(super) fn text(&self, id: Id) -> Option<String> {
        match self.node(id) {
            Node::Str(s) => Some(s.clone()),
            Node::OldStr(b) => Some(b.iter().map(|&c| char::from(c)).collect()),
            _ => None,
        }
    }

    fn global(&self, id: Id) -> Option<(&str, &str)> {
        match self.node(id) {
            Node::Global(module, name) => Some((module, name)),
            _ => None,
        }
    }

    /// The numpy role of an object's class, with the object.
    pub(super) fn numpy_object(&self, id: Id) -> Option<(Role, &Object)> {
        match self.node(id) {
            Node::Object(o) => {
                let (module, name) = self.global(o.class)?;
                numpy_role(module, name).map(|role| (role, o))
            }
            _ => None,
        }
    }

    /// A short description of a value, with an article: `a list of 2 items`.
    pub(super) fn describe(&self, id: Id) -> String {
        match self.node(id) {
            Node::None => "None".into(),
            Node::Bool(b) => format!("a bool ({})", if *b { "True" } else { "False" }),
            Node::Int(v) => format!("an integer ({v})"),
            Node::BigInt => "a large integer".into(),
            Node::Float(v) => format!("a float ({v:?})"),
            Node::Str(s) if s.chars().count() > 40 => {
                let head: String = s.chars().take(40).collect();
                format!("a string ({head:?}...)")
            }
            Node::Str(s) => format!("a string ({s:?})"),
            Node::OldStr(b) | Node::Bytes(b) => {
                format!("a bytes object ({})", plural(b.len(), "byte"))
            }
            Node::List(v) => format!("a list of {}", plural(v.len(), "item")),
            Node::Tuple(v) => format!("a tuple of {}", plural(v.len(), "item")),
            Node::Dict(v) if v.len() == 1 => "a dict of 1 entry".into(),
            Node::Dict(v) => format!("a dict of {} entries", v.len()),
            Node::Set(v) => format!("a set of {}", plural(v.len(), "item")),
            Node::Global(module, name) => {
                format!("a reference to {}.{}", one_line(module), one_line(name))
            }
            Node::Object(o) => match self.numpy_object(id) {
                Some((Role::Reconstruct | Role::FromBuffer, _)) => "a numpy array".into(),
                Some((Role::Dtype, _)) => "a numpy dtype".into(),
                Some((Role::Scalar, _)) => self.describe_scalar(o),
                None => match self.global(o.class) {
                    Some((module, name)) => {
                        format!("an object of type {}.{}", one_line(module), one_line(name))
                    }
                    None => "an object".into(),
                },
            },
        }
    }

    /// The dictionary's entries in order, a repeated key keeping its first place and last value.
    pub(super) fn entries(&self) -> Result<Vec<(String, Id)>> {
        let pairs: Vec<(Id, Id)> = match self.node(self.root) {
            Node::Dict(pairs) => pairs.clone(),
            Node::Object(o) => match self.global(o.class) {
                Some(("collections", "OrderedDict")) => {
                    let mut pairs = match self.args(o).first() {
                        Some(&arg) => self.pairs_of(arg)?,
                        None => Vec::new(),
                    };
                    pairs.extend_from_slice(&o.items);
                    pairs
                }
                Some(("collections", "defaultdict")) => o.items.clone(),
                _ => {
                    return Err(PickleError::NotADict {
                        found: self.describe(self.root),
                    });
                }
            },
            _ => {
                return Err(PickleError::NotADict {
                    found: self.describe(self.root),
                });
            }
        };
        let mut entries: Vec<(String, Id)> = Vec::with_capacity(pairs.len());
        let mut index: HashMap<String, usize> = HashMap::new();
        for (key, value) in pairs {
            let key = self.text(key).ok_or_else(|| PickleError::NonStringKey {
                found: self.describe(key),
            })?;
            match index.get(&key).and_then(|&i| entries.get_mut(i)) {
                Some(entry) => entry.1 = value,
                None => {
                    index.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
        }
        Ok(entries)
    }

    /// The pairs an `OrderedDict` is constructed from (protocols 0 and 1): a list of pairs.
    fn pairs_of(&self, id: Id) -> Result<Vec<(Id, Id)>> {
        let not_pairs = || PickleError::NotADict {
            found: format!("an OrderedDict built from {}", self.describe(id)),
        };
        match self.node(id) {
            Node::Dict(pairs) => Ok(pairs.clone()),
            Node::List(items) | Node::Tuple(items) => items
                .iter()
                .map(|&item| match self.node(item) {
                    Node::List(kv) | Node::Tuple(kv) => match kv.as_slice() {
                        &[k, v] => Ok((k, v)),
                        _ => Err(not_pairs()),
                    },
                    _ => Err(not_pairs()),
                })
                .collect(),
            _ => Err(not_pairs()),
        }
    }
}
