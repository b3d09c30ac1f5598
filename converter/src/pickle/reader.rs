//! The pickle virtual machine: decodes the opcodes of protocols 0 to 5 into a [`Graph`],
//! keeping objects' identity through the memo and executing nothing.

mod escapes;

use std::collections::HashMap;

use super::graph::{Graph, Id, Node, Object};
use super::{PickleError, Result, to_array};
use escapes::{raw_unicode_escape, unquote};

/// Decodes a whole pickle, up to its `STOP` opcode, into the objects it builds.
pub(super) fn read(input: &[u8]) -> Result<Graph> {
    Machine::new(input).run()
}

/// Decodes pickle opcodes into a [`Graph`] without executing anything.
struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    /// Offset of the opcode being decoded, for messages.
    op_start: usize,
    nodes: Vec<Node>,
    stack: Vec<Id>,
    /// Stack lengths at each open MARK.
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
}

impl<'a> Machine<'a> {
    fn new(input: &'a [u8]) -> Self {
        let (nodes, stack, marks, memo) = (Vec::new(), Vec::new(), Vec::new(), HashMap::new());
        Machine {
            input,
            pos: 0,
            op_start: 0,
            nodes,
            stack,
            marks,
            memo,
        }
    }

    fn run(mut self) -> Result<Graph> {
        loop {
            self.op_start = self.pos;
            let Some(&op) = self.input.get(self.pos) else {
                let context = "before the STOP opcode that ends a pickle".into();
                return Err(PickleError::Truncated {
                    len: self.input.len(),
                    context,
                });
            };
            self.pos += 1;
            if let Some(node) = self.value_op(op)? {
                let id = self.add(node);
                self.stack.push(id);
            } else if let Some(root) = self.stack_op(op)? {
                return Ok(Graph {
                    nodes: self.nodes,
                    root,
                });
            }
        }
    }

    // --- errors and input ---

    fn malformed(&self, reason: impl Into<String>) -> PickleError {
        PickleError::Malformed {
            offset: self.op_start,
            reason: reason.into(),
        }
    }

    fn unsupported(&self, feature: &str) -> PickleError {
        PickleError::Unsupported {
            offset: self.op_start,
            feature: feature.to_owned(),
        }
    }

    fn truncated(&self) -> PickleError {
        let context = format!("inside the opcode at byte {}", self.op_start);
        PickleError::Truncated {
            len: self.input.len(),
            context,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let input: &'a [u8] = self.input;
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| input.get(self.pos..end));
        let slice = slice.ok_or_else(|| self.truncated())?;
        self.pos += n;
        Ok(slice)
    }

    /// An unsigned little-endian number of `width` (at most 8) bytes.
    fn uint(&mut self, width: usize) -> Result<u64> {
        Ok(u64::from_le_bytes(to_array(self.take(width)?)))
    }

    /// A length of `width` bytes; one beyond the address space cannot be in the input either.
    fn len(&mut self, width: usize) -> Result<usize> {
        let n = self.uint(width)?;
        usize::try_from(n).map_err(|_| self.truncated())
    }

    /// A text argument up to the next newline (protocols 0 and 1).
    fn line(&mut self) -> Result<&'a [u8]> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let newline = rest.iter().position(|&b| b == b'\n');
        let line = self.take(newline.unwrap_or(rest.len().saturating_add(1)))?;
        self.pos += 1;
        Ok(line)
    }

    fn text_line(&mut self) -> Result<&'a str> {
        let line = self.line()?;
        std::str::from_utf8(line).map_err(|_| self.malformed("a text argument is not valid UTF-8"))
    }

    /// `BINUNICODE` and friends: a UTF-8 string after a `width`-byte length.
    fn string(&mut self, width: usize) -> Result<Node> {
        let n = self.len(width)?;
        let bytes = self.take(n)?;
        let s = std::str::from_utf8(bytes)
            .map_err(|_| self.malformed("a string is not valid UTF-8"))?;
        Ok(Node::Str(s.to_owned()))
    }

    /// `BINBYTES` and friends: bytes after a `width`-byte length.
    fn bytes(&mut self, width: usize) -> Result<Vec<u8>> {
        let n = self.len(width)?;
        Ok(self.take(n)?.to_vec())
    }

    fn text_int(&self, line: &str) -> Result<Node> {
        let digits = line.trim();
        if let Ok(v) = digits.parse::<i64>() {
            return Ok(Node::Int(v));
        }
        let unsigned = digits.strip_prefix(['-', '+']).unwrap_or(digits);
        if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Node::BigInt)
        } else {
            Err(self.malformed(format!("bad integer {line:?}")))
        }
    }

    fn text_index(&mut self) -> Result<u64> {
        let line = self.text_line()?;
        line.trim()
            .parse()
            .map_err(|_| self.malformed(format!("bad memo index {line:?}")))
    }

    // --- the stack ---

    fn add(&mut self, node: Node) -> Id {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn top(&self) -> Result<Id> {
        let base = self.marks.last().copied().unwrap_or(0);
        match self.stack.last() {
            Some(&id) if self.stack.len() > base => Ok(id),
            _ => Err(self.malformed("the stack is empty")),
        }
    }

    fn pop(&mut self) -> Result<Id> {
        let id = self.top()?;
        self.stack.pop();
        Ok(id)
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>> {
        let base = self
            .marks
            .pop()
            .ok_or_else(|| self.malformed("there is no MARK"))?;
        if base > self.stack.len() {
            return Err(self.malformed("the stack is shorter than at its MARK"));
        }
        Ok(self.stack.split_off(base))
    }

    fn pairs(&self, items: Vec<Id>) -> Result<Vec<(Id, Id)>> {
        if !items.len().is_multiple_of(2) {
            return Err(self.malformed("a dict gets an odd number of keys and values"));
        }
        let mut it = items.into_iter();
        let mut pairs = Vec::new();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k, v));
        }
        Ok(pairs)
    }

    /// An object created by calling `class` with the tuple `args` (INST, OBJ).
    fn object(&mut self, class: Id, args: Vec<Id>) -> Node {
        let args = self.add(Node::Tuple(args));
        Node::Object(Object {
            class,
            args,
            state: None,
            items: Vec::new(),
        })
    }

    /// `REDUCE`: calls are kept as objects, except those that only encode bytes.
    fn reduce(&mut self) -> Result<Node> {
        let args_id = self.pop()?;
        let callable = self.pop()?;
        let Some(Node::Tuple(args)) = self.nodes.get(args_id) else {
            return Err(self.malformed("REDUCE arguments are not a tuple"));
        };
        let latin1 = |s: Id| match self.nodes.get(s) {
            Some(Node::Str(s)) => s
                .chars()
                .map(|c| u8::try_from(c).ok())
                .collect::<Option<Vec<u8>>>(),
            _ => None,
        };
        let encoded = match (self.nodes.get(callable), args.as_slice()) {
            (Some(Node::Global(m, n)), &[s, _]) if m == "_codecs" && n == "encode" => latin1(s),
            (Some(Node::Global(m, n)), args)
                if m == "builtins" && (n == "bytes" || n == "bytearray") =>
            {
                match args {
                    [] => Some(Vec::new()),
                    &[b] => match self.nodes.get(b) {
                        Some(Node::Bytes(b) | Node::OldStr(b)) => Some(b.clone()),
                        _ => None,
                    },
                    &[s, _] => latin1(s),
                    _ => None,
                }
            }
            _ => None,
        };
        Ok(match encoded {
            Some(bytes) => Node::Bytes(bytes),
            None => Node::Object(Object {
                class: callable,
                args: args_id,
                state: None,
                items: Vec::new(),
            }),
        })
    }

    /// Opcodes that push one new object; `None` for all others.
    fn value_op(&mut self, op: u8) -> Result<Option<Node>> {
        Ok(Some(match op {
            b'N' => Node::None,
            0x88 => Node::Bool(true),
            0x89 => Node::Bool(false),
            b'K' => Node::Int(i64::from(to_array::<1>(self.take(1)?)[0])),
            b'M' => Node::Int(i64::from(u16::from_le_bytes(to_array(self.take(2)?)))),
            b'J' => Node::Int(i64::from(i32::from_le_bytes(to_array(self.take(4)?)))),
            0x8a => long_node(&self.bytes(1)?),
            0x8b => long_node(&self.bytes(4)?),
            b'I' => match self.text_line()? {
                "01" => Node::Bool(true),
                "00" => Node::Bool(false),
                line => self.text_int(line)?,
            },
            b'L' => {
                let line = self.text_line()?;
                self.text_int(line.strip_suffix('L').unwrap_or(line))?
            }
            b'G' => Node::Float(f64::from_be_bytes(to_array(self.take(8)?))),
            b'F' => {
                let line = self.text_line()?;
                let v = line.trim().parse::<f64>();
                Node::Float(v.map_err(|_| self.malformed(format!("bad float {line:?}")))?)
            }
            b'S' => {
                let line = self.line()?;
                Node::OldStr(unquote(line).ok_or_else(|| self.malformed("bad STRING argument"))?)
            }
            b'U' => Node::OldStr(self.bytes(1)?),
            b'T' => {
                let n = i32::from_le_bytes(to_array(self.take(4)?));
                let n = usize::try_from(n)
                    .map_err(|_| self.malformed(format!("negative length {n}")))?;
                Node::OldStr(self.take(n)?.to_vec())
            }
            b'V' => {
                let line = self.line()?;
                Node::Str(
                    raw_unicode_escape(line)
                        .ok_or_else(|| self.malformed("bad UNICODE argument"))?,
                )
            }
            0x8c => self.string(1)?,
            b'X' => self.string(4)?,
            0x8d => self.string(8)?,
            b'C' => Node::Bytes(self.bytes(1)?),
            b'B' => Node::Bytes(self.bytes(4)?),
            0x8e | 0x96 => Node::Bytes(self.bytes(8)?),
            b']' => Node::List(Vec::new()),
            b'l' => Node::List(self.pop_mark()?),
            b')' => Node::Tuple(Vec::new()),
            b't' => Node::Tuple(self.pop_mark()?),
            0x85..=0x87 => {
                let split = self.stack.len().saturating_sub(usize::from(op - 0x84));
                let base = self.marks.last().copied().unwrap_or(0);
                if split < base || self.stack.len() < usize::from(op - 0x84) {
                    return Err(self.malformed("the stack is empty"));
                }
                Node::Tuple(self.stack.split_off(split))
            }
            b'}' => Node::Dict(Vec::new()),
            b'd' => {
                let items = self.pop_mark()?;
                Node::Dict(self.pairs(items)?)
            }
            0x8f => Node::Set(Vec::new()),
            0x91 => Node::Set(self.pop_mark()?),
            b'c' => global_node(self.text_line()?, self.text_line()?),
            b'i' => {
                let global = global_node(self.text_line()?, self.text_line()?);
                let class = self.add(global);
                let args = self.pop_mark()?;
                self.object(class, args)
            }
            0x93 => {
                let (name, module) = (self.pop()?, self.pop()?);
                match (self.nodes.get(module), self.nodes.get(name)) {
                    (Some(Node::Str(module)), Some(Node::Str(name))) => global_node(module, name),
                    _ => return Err(self.malformed("STACK_GLOBAL needs two strings")),
                }
            }
            b'R' => self.reduce()?,
            b'o' => {
                let mut items = self.pop_mark()?.into_iter();
                let class = items
                    .next()
                    .ok_or_else(|| self.malformed("OBJ without a class"))?;
                self.object(class, items.collect())
            }
            0x81 | 0x92 => {
                if op == 0x92 {
                    self.pop()?; // keyword arguments
                }
                let (args, class) = (self.pop()?, self.pop()?);
                Node::Object(Object {
                    class,
                    args,
                    state: None,
                    items: Vec::new(),
                })
            }
            _ => return Ok(None),
        }))
    }

    /// Opcodes that rearrange or modify what is already built; returns the result at `STOP`.
    fn stack_op(&mut self, op: u8) -> Result<Option<Id>> {
        match op {
            b'.' => return self.pop().map(Some),
            b'(' => self.marks.push(self.stack.len()),
            b'0' => {
                // POP drops the MARK itself when nothing was pushed after it.
                if self.pop().is_err() {
                    self.pop_mark()?;
                }
            }
            b'1' => drop(self.pop_mark()?),
            b'2' => self.stack.push(self.top()?),
            0x80 => {
                let protocol = self.uint(1)?;
                if protocol > 5 {
                    return Err(self.unsupported(&format!(
                        "pickle protocol {protocol} (this reader knows 0 to 5)"
                    )));
                }
            }
            0x95 => drop(self.take(8)?), // FRAME: only a read-ahead hint
            b'a' | b'e' | 0x90 => {
                let items = if op == b'a' {
                    vec![self.pop()?]
                } else {
                    self.pop_mark()?
                };
                let target = self.top()?;
                match (self.nodes.get_mut(target), op) {
                    (Some(Node::List(list)), b'a' | b'e') | (Some(Node::Set(list)), 0x90) => {
                        list.extend(items)
                    }
                    (Some(Node::Object(_)), b'a' | b'e') => {} // a list subclass: its items do not matter
                    _ => {
                        return Err(
                            self.malformed("APPEND or ADDITEMS to an object of the wrong type")
                        );
                    }
                }
            }
            b's' | b'u' => {
                let items = if op == b's' {
                    vec![self.pop()?, self.pop()?]
                } else {
                    self.pop_mark()?
                };
                let pairs = match (op, items.as_slice()) {
                    (b's', &[value, key]) => vec![(key, value)],
                    _ => self.pairs(items)?,
                };
                let target = self.top()?;
                match self.nodes.get_mut(target) {
                    Some(Node::Dict(dict)) => dict.extend(pairs),
                    Some(Node::Object(o)) => o.items.extend(pairs),
                    _ => return Err(self.malformed("SETITEM on something that is not a dict")),
                }
            }
            b'b' => {
                let state = self.pop()?;
                let target = self.top()?;
                match self.nodes.get_mut(target) {
                    Some(Node::Object(o)) => o.state = Some(state),
                    _ => return Err(self.malformed("BUILD on something that is not an object")),
                }
            }
            b'p' | b'q' | b'r' | 0x94 => {
                let index = match op {
                    b'p' => self.text_index()?,
                    b'q' => self.uint(1)?,
                    b'r' => self.uint(4)?,
                    _ => self.memo.len() as u64,
                };
                let id = self.top()?;
                self.memo.insert(index, id);
            }
            b'g' | b'h' | b'j' => {
                let index = match op {
                    b'g' => self.text_index()?,
                    b'h' => self.uint(1)?,
                    _ => self.uint(4)?,
                };
                let id = self.memo.get(&index).copied();
                let id = id.ok_or_else(|| {
                    self.malformed(format!("memo entry {index} is used before it is stored"))
                })?;
                self.stack.push(id);
            }
            b'P' | b'Q' => {
                return Err(
                    self.unsupported("persistent IDs (references to objects outside the pickle)")
                );
            }
            0x82..=0x84 => return Err(self.unsupported("the copyreg extension registry")),
            0x97 | 0x98 => {
                return Err(
                    self.unsupported("out-of-band buffers (pickled with a buffer_callback)")
                );
            }
            _ => return Err(self.malformed(format!("unknown opcode 0x{op:02x}"))),
        }
        Ok(None)
    }
}

/// A global reference, with Python 2 module names mapped as Python 3 does.
fn global_node(module: &str, name: &str) -> Node {
    let module = match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        other => other,
    };
    Node::Global(module.to_owned(), name.to_owned())
}

/// `LONG1`/`LONG4`: a little-endian two's-complement integer.
fn long_node(bytes: &[u8]) -> Node {
    if bytes.len() > 8 {
        return Node::BigInt;
    }
    let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    for (dst, src) in buf.iter_mut().zip(bytes) {
        *dst = *src;
    }
    Node::Int(i64::from_le_bytes(buf))
}
