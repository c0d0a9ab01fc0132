//! Conditions of the common shapes answered without the CEL interpreter: field reads,
//! `has()`, `!`, `&&`, `||`, `?:`, `==`, `!=`, ordering of ints, `in` a list, `size()` of a
//! list or map, int `+` and `-`, and `exists`/`all` over a list or `graph.requirements`.
//!
//! A native answer is only given where it is certain to be CEL's: every value comes from
//! the same [`FactBase`] functions the CEL maps are built from, the operands are evaluated
//! in CEL's order with its short-circuits, and anything whose outcome could depend on a CEL
//! subtlety (an error, numbers of different types, a float, a list compared whole, a
//! function the subset does not know) leaves the condition undecided (`None`). The engine
//! then asks CEL, which answers it exactly. A condition outside the subset is never
//! compiled here at all.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::cmp::Ordering;

use cel::Value;
use cel::common::ast::{ComprehensionExpr, Expr, LiteralValue, operators};
use cel::objects::KeyRef;

use super::cel_expr::from_json;
use super::facts::{FactBase, GRAPH_FIELDS, GROUP_FIELDS, Needs, RESOURCE_FIELDS, Scope};
use crate::graph::{GroupIx, ResourceIx};

const fn bit(fields: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        if fields[i].len() == name.len() && {
            let (a, b) = (fields[i].as_bytes(), name.as_bytes());
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            j == a.len()
        } {
            return i;
        }
        i += 1;
    }
    panic!("a known field")
}

const ATTRIBUTES: usize = bit(RESOURCE_FIELDS, "attributes");
const TAGS: usize = bit(RESOURCE_FIELDS, "tags");
const REQUIREMENTS: usize = bit(GRAPH_FIELDS, "requirements");

/// A condition compiled to native checks.
#[derive(Debug)]
pub struct Native(Node);

#[derive(Debug)]
enum Node {
    Literal(Value),
    /// `resource.F` (a bit of [`RESOURCE_FIELDS`]).
    Resource(usize),
    /// `graph.F` (a bit of [`GRAPH_FIELDS`]; never `requirements`, which is only a range).
    Graph(usize),
    /// `resource.attributes.K` and `has(resource.attributes.K)`.
    Attribute(String, bool),
    /// `resource.tags.K` and `has(resource.tags.K)`.
    Tag(String, bool),
    /// A comprehension variable bound to a value, by depth (0 is the innermost).
    Var(usize),
    /// `g.F` of a variable bound to a requirement group (a bit of [`GROUP_FIELDS`]).
    GroupField(usize, usize),
    /// `x.K` and `has(x.K)` of a map value.
    Field(Box<Node>, String, bool),
    Not(Box<Node>),
    And(Box<[Node; 2]>),
    Or(Box<[Node; 2]>),
    Cond(Box<[Node; 3]>),
    Equal(Box<[Node; 2]>, bool),
    Order(Box<[Node; 2]>, fn(Ordering) -> bool),
    In(Box<[Node; 2]>),
    Size(Box<Node>),
    Arithmetic(Box<[Node; 2]>, fn(i64, i64) -> Option<i64>),
    /// `range.exists(v, pred)` (`all` false) or `range.all(v, pred)`.
    Each {
        range: Range,
        all: bool,
        pred: Box<Node>,
    },
}

#[derive(Debug)]
enum Range {
    Groups,
    Values(Box<Node>),
}

/// What a comprehension variable stands for while compiling.
#[derive(Clone, Copy, PartialEq)]
enum Binds {
    Group,
    Value,
}

impl Native {
    /// The native form of a condition, if every part of it is in the subset.
    pub fn compile(expression: &cel::IdedExpr) -> Option<Native> {
        compile(&expression.expr, &mut Vec::new()).map(Native)
    }

    /// The condition's verdict on one resource, or `None` when CEL must answer.
    pub fn holds(&self, facts: &Resolved<'_>) -> Option<bool> {
        facts.truth(&self.0, None)
    }
}

fn compile(expr: &Expr, vars: &mut Vec<(String, Binds)>) -> Option<Node> {
    let bound = |vars: &[(String, Binds)], name: &str| {
        vars.iter()
            .rev()
            .position(|(v, _)| v == name)
            .map(|depth| (depth, vars[vars.len() - 1 - depth].1))
    };
    match expr {
        Expr::Literal(literal) => Some(Node::Literal(match literal {
            LiteralValue::Boolean(b) => Value::Bool(*b.inner()),
            LiteralValue::Int(i) => Value::Int(*i.inner()),
            LiteralValue::UInt(u) => Value::UInt(*u.inner()),
            LiteralValue::String(s) => Value::from(s.inner()),
            LiteralValue::Null => Value::Null,
            LiteralValue::Double(_) | LiteralValue::Bytes(_) => return None,
        })),
        Expr::Ident(name) => match bound(vars, name)? {
            (depth, Binds::Value) => Some(Node::Var(depth)),
            (_, Binds::Group) => None,
        },
        Expr::Select(select) => {
            let field = select.field.as_str();
            let test = select.test;
            if let Expr::Ident(root) = &select.operand.expr {
                match bound(vars, root) {
                    Some((depth, Binds::Group)) if !test => {
                        let bit = GROUP_FIELDS.iter().position(|f| *f == field)?;
                        return Some(Node::GroupField(depth, bit));
                    }
                    Some(_) => {}
                    None if test => return None,
                    None => {
                        let fields = match root.as_str() {
                            "resource" => RESOURCE_FIELDS,
                            "graph" => GRAPH_FIELDS,
                            _ => return None,
                        };
                        let bit = fields.iter().position(|f| *f == field)?;
                        return match root.as_str() {
                            "resource" => Some(Node::Resource(bit)),
                            _ if field == "requirements" => None,
                            _ => Some(Node::Graph(bit)),
                        };
                    }
                }
            }
            let operand = compile(&select.operand.expr, vars)?;
            Some(match operand {
                Node::Resource(bit) if RESOURCE_FIELDS[bit] == "attributes" => {
                    Node::Attribute(field.to_string(), test)
                }
                Node::Resource(bit) if RESOURCE_FIELDS[bit] == "tags" => {
                    Node::Tag(field.to_string(), test)
                }
                operand => Node::Field(Box::new(operand), field.to_string(), test),
            })
        }
        Expr::Call(call) => compile_call(&call.func_name, call, vars),
        Expr::Comprehension(comprehension) => compile_each(comprehension, vars),
        _ => None,
    }
}

fn compile_call(
    name: &str,
    call: &cel::common::ast::CallExpr,
    vars: &mut Vec<(String, Binds)>,
) -> Option<Node> {
    let mut args = Vec::with_capacity(3);
    if let Some(target) = &call.target {
        args.push(compile(&target.expr, vars)?);
    }
    for arg in &call.args {
        args.push(compile(&arg.expr, vars)?);
    }
    let pair = |args: Vec<Node>| -> Option<Box<[Node; 2]>> {
        let pair: [Node; 2] = args.try_into().ok()?;
        Some(Box::new(pair))
    };
    let method = call.target.is_some();
    Some(match (name, args.len(), method) {
        (operators::LOGICAL_NOT, 1, false) => Node::Not(Box::new(args.pop()?)),
        ("size", 1, _) => Node::Size(Box::new(args.pop()?)),
        (operators::CONDITIONAL, 3, false) => {
            let three: [Node; 3] = args.try_into().ok()?;
            Node::Cond(Box::new(three))
        }
        (_, 2, false) => match name {
            operators::LOGICAL_AND => Node::And(pair(args)?),
            operators::LOGICAL_OR => Node::Or(pair(args)?),
            operators::EQUALS => Node::Equal(pair(args)?, true),
            operators::NOT_EQUALS => Node::Equal(pair(args)?, false),
            operators::LESS => Node::Order(pair(args)?, Ordering::is_lt),
            operators::LESS_EQUALS => Node::Order(pair(args)?, Ordering::is_le),
            operators::GREATER => Node::Order(pair(args)?, Ordering::is_gt),
            operators::GREATER_EQUALS => Node::Order(pair(args)?, Ordering::is_ge),
            operators::IN => Node::In(pair(args)?),
            operators::ADD => Node::Arithmetic(pair(args)?, i64::checked_add),
            operators::SUBSTRACT => Node::Arithmetic(pair(args)?, i64::checked_sub),
            _ => return None,
        },
        _ => return None,
    })
}

/// `exists` and `all` as the macros expand them: an accumulator starting false (true),
/// stepped with `acc || pred` (`acc && pred`), the accumulator the result.
fn compile_each(c: &ComprehensionExpr, vars: &mut Vec<(String, Binds)>) -> Option<Node> {
    if c.iter_var2.is_some() || !matches!(&c.result.expr, Expr::Ident(a) if *a == c.accu_var) {
        return None;
    }
    let Expr::Literal(LiteralValue::Boolean(init)) = &c.accu_init.expr else {
        return None;
    };
    let all = *init.inner();
    let Expr::Call(step) = &c.loop_step.expr else {
        return None;
    };
    let expected = if all {
        operators::LOGICAL_AND
    } else {
        operators::LOGICAL_OR
    };
    if step.func_name != expected
        || step.target.is_some()
        || step.args.len() != 2
        || !matches!(&step.args[0].expr, Expr::Ident(a) if *a == c.accu_var)
    {
        return None;
    }
    let requirements = matches!(&c.iter_range.expr, Expr::Select(s)
        if !s.test && s.field == "requirements"
            && matches!(&s.operand.expr, Expr::Ident(g) if g == "graph")
            && !vars.iter().any(|(v, _)| v == "graph"));
    let (range, binds) = if requirements {
        (Range::Groups, Binds::Group)
    } else {
        let range = compile(&c.iter_range.expr, vars)?;
        (Range::Values(Box::new(range)), Binds::Value)
    };
    // The accumulator's name is the macros' own (`@result`), which no rule can write.
    vars.push((c.iter_var.clone(), binds));
    let pred = compile(&step.args[1].expr, vars);
    vars.pop();
    Some(Node::Each {
        range,
        all,
        pred: Box::new(pred?),
    })
}

/// A comprehension variable's value while evaluating.
#[derive(Clone, Copy)]
enum Bound<'s> {
    Group(GroupIx),
    Value(&'s Value),
}

/// The chain of comprehension variables in scope, innermost first.
struct Bindings<'s> {
    bound: Bound<'s>,
    parent: Option<&'s Bindings<'s>>,
}

fn lookup<'s>(scope: Option<&'s Bindings<'s>>, depth: usize) -> Option<Bound<'s>> {
    let mut scope = scope?;
    for _ in 0..depth {
        scope = scope.parent?;
    }
    Some(scope.bound)
}

/// The fields of one resource, each worked out (by the [`FactBase`]) at most once and shared
/// by every rule evaluated on it.
pub struct Resolved<'f> {
    base: &'f FactBase<'f>,
    ix: ResourceIx,
    needs: Needs,
    resource: [OnceCell<Value>; RESOURCE_FIELDS.len()],
    graph: [OnceCell<Value>; GRAPH_FIELDS.len()],
}

impl<'f> Resolved<'f> {
    pub fn new(base: &'f FactBase<'f>, ix: ResourceIx, needs: Needs) -> Resolved<'f> {
        Resolved {
            base,
            ix,
            needs,
            resource: std::array::from_fn(|_| OnceCell::new()),
            graph: std::array::from_fn(|_| OnceCell::new()),
        }
    }

    /// Whether the CEL maps would hold this field: they hold only the fields the pack's
    /// rules for this kind name (see [`Needs`]), and a read of any other is an error there.
    fn served(&self, scope: Scope, bit: usize) -> Option<()> {
        self.needs.field(scope, bit).then_some(())
    }

    fn truth<'s>(&'s self, node: &'s Node, scope: Option<&'s Bindings<'s>>) -> Option<bool> {
        match node {
            Node::Not(operand) => self.truth(operand, scope).map(|b| !b),
            Node::And(pair) => match self.truth(&pair[0], scope)? {
                false => Some(false),
                true => self.truth(&pair[1], scope),
            },
            Node::Or(pair) => match self.truth(&pair[0], scope)? {
                true => Some(true),
                false => self.truth(&pair[1], scope),
            },
            Node::Equal(pair, equal) => {
                let left = self.value(&pair[0], scope)?;
                let right = self.value(&pair[1], scope)?;
                equals(&left, &right).map(|same| same == *equal)
            }
            Node::Order(pair, test) => {
                let left = self.value(&pair[0], scope)?;
                let right = self.value(&pair[1], scope)?;
                match (left.as_ref(), right.as_ref()) {
                    (Value::Int(a), Value::Int(b)) => Some(test(a.cmp(b))),
                    (Value::UInt(a), Value::UInt(b)) => Some(test(a.cmp(b))),
                    _ => None,
                }
            }
            Node::In(pair) => {
                let needle = self.value(&pair[0], scope)?;
                let list = self.value(&pair[1], scope)?;
                let Value::List(items) = list.as_ref() else {
                    return None;
                };
                let mut found = false;
                for item in items.iter() {
                    if equals(&needle, item)? {
                        found = true;
                        break;
                    }
                }
                Some(found)
            }
            Node::Each { range, all, pred } => self.each(range, *all, pred, scope),
            Node::Literal(_)
            | Node::Resource(_)
            | Node::Graph(_)
            | Node::Attribute(..)
            | Node::Tag(..)
            | Node::Var(_)
            | Node::GroupField(..)
            | Node::Field(..)
            | Node::Size(_)
            | Node::Arithmetic(..)
            | Node::Cond(_) => match self.value(node, scope)?.as_ref() {
                Value::Bool(b) => Some(*b),
                _ => None,
            },
        }
    }

    fn each<'s>(
        &'s self,
        range: &'s Range,
        all: bool,
        pred: &'s Node,
        scope: Option<&'s Bindings<'s>>,
    ) -> Option<bool> {
        // Stops at the first element that decides, as the macros' loop condition does.
        let step = |bound: Bound<'_>| {
            let inner = Bindings {
                bound,
                parent: scope,
            };
            self.truth(pred, Some(&inner))
        };
        match range {
            Range::Groups => {
                self.served(Scope::Graph, REQUIREMENTS)?;
                for g in self.base.groups(self.ix) {
                    if step(Bound::Group(g))? != all {
                        return Some(!all);
                    }
                }
            }
            Range::Values(range) => {
                let Value::List(items) = self.value(range, scope)?.into_owned() else {
                    return None;
                };
                for item in items.iter() {
                    if step(Bound::Value(item))? != all {
                        return Some(!all);
                    }
                }
            }
        }
        Some(all)
    }

    fn value<'s>(
        &'s self,
        node: &'s Node,
        scope: Option<&'s Bindings<'s>>,
    ) -> Option<Cow<'s, Value>> {
        let base = self.base;
        Some(match node {
            Node::Literal(value) => Cow::Borrowed(value),
            Node::Resource(bit) => {
                self.served(Scope::Resource, *bit)?;
                Cow::Borrowed(
                    self.resource[*bit]
                        .get_or_init(|| base.resource_field(self.ix, RESOURCE_FIELDS[*bit])),
                )
            }
            Node::Graph(bit) => {
                self.served(Scope::Graph, *bit)?;
                Cow::Borrowed(
                    self.graph[*bit]
                        .get_or_init(|| base.graph_field(self.ix, GRAPH_FIELDS[*bit], self.needs)),
                )
            }
            Node::Attribute(key, test) => {
                self.served(Scope::Resource, ATTRIBUTES)?;
                let attributes = &base.resource_of(self.ix).attributes;
                match test {
                    true => Cow::Owned(Value::Bool(attributes.contains_key(key))),
                    false => Cow::Owned(from_json(attributes.get(key)?)),
                }
            }
            Node::Tag(key, test) => {
                self.served(Scope::Resource, TAGS)?;
                let tags = &base.resource_of(self.ix).tags;
                match test {
                    true => Cow::Owned(Value::Bool(tags.contains_key(key))),
                    false => Cow::Owned(Value::from(tags.get(key)?.as_str())),
                }
            }
            Node::Var(depth) => match lookup(scope, *depth)? {
                Bound::Value(value) => Cow::Borrowed(value),
                Bound::Group(_) => return None,
            },
            Node::GroupField(depth, bit) => match lookup(scope, *depth)? {
                Bound::Group(g) => {
                    self.served(Scope::Group, *bit)?;
                    Cow::Owned(base.group_field(g, GROUP_FIELDS[*bit]))
                }
                Bound::Value(_) => return None,
            },
            Node::Field(operand, key, test) => {
                let Value::Map(map) = self.value(operand, scope)?.into_owned() else {
                    return None;
                };
                let found = map.get(&KeyRef::String(key));
                match test {
                    true => Cow::Owned(Value::Bool(found.is_some())),
                    false => Cow::Owned(found?.clone()),
                }
            }
            Node::Size(operand) => match self.value(operand, scope)?.as_ref() {
                Value::List(items) => Cow::Owned(Value::Int(items.len() as i64)),
                Value::Map(map) => Cow::Owned(Value::Int(map.map.len() as i64)),
                _ => return None,
            },
            Node::Arithmetic(pair, op) => {
                let left = self.value(&pair[0], scope)?;
                let right = self.value(&pair[1], scope)?;
                match (left.as_ref(), right.as_ref()) {
                    (Value::Int(a), Value::Int(b)) => Cow::Owned(Value::Int(op(*a, *b)?)),
                    _ => return None,
                }
            }
            Node::Cond(three) => match self.truth(&three[0], scope)? {
                true => self.value(&three[1], scope)?,
                false => self.value(&three[2], scope)?,
            },
            Node::Not(_)
            | Node::And(_)
            | Node::Or(_)
            | Node::Equal(..)
            | Node::Order(..)
            | Node::In(_)
            | Node::Each { .. } => Cow::Owned(Value::Bool(self.truth(node, scope)?)),
        })
    }
}

/// CEL's `==` where it is plain: values of one kind compared, values of different kinds
/// unequal. Numbers of different types, floats and lists or maps compared with each other
/// are left to CEL.
fn equals(a: &Value, b: &Value) -> Option<bool> {
    use Value::*;
    let class = |v: &Value| match v {
        Null => Some(0),
        Bool(_) => Some(1),
        Int(_) | UInt(_) => Some(2),
        String(_) => Some(3),
        List(_) => Some(4),
        Map(_) => Some(5),
        _ => None,
    };
    Some(match (a, b) {
        (Null, Null) => true,
        (Bool(x), Bool(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        (UInt(x), UInt(y)) => x == y,
        (String(x), String(y)) => x == y,
        _ => {
            let (x, y) = (class(a)?, class(b)?);
            if x == y {
                return None;
            }
            false
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Check, RulePack};

    fn native(source: &str) -> Option<Native> {
        let program = crate::rules::cel_expr::env().compile(source).unwrap();
        Native::compile(program.expression())
    }

    #[test]
    fn every_builtin_condition_but_string_functions_compiles() {
        let pack = RulePack::builtin().unwrap();
        let mut left = Vec::new();
        for rule in &pack.rules {
            if let Check::Resource { condition, .. } = &rule.check
                && Native::compile(condition.ast()).is_none()
            {
                left.push(rule.id.as_str());
            }
        }
        // Both call `lowerAscii()`, which stays with CEL.
        assert_eq!(
            left,
            ["azure-lb-basic-sku", "azure-lb-frontend-not-zone-redundant"]
        );
    }

    #[test]
    fn outside_the_subset_nothing_compiles() {
        for source in [
            "resource.name.startsWith('a')",
            "resource['zones'] == []",
            "size(resource) > 1",
            "graph.requirements.exists(g, g == g)",
            "size(graph.requirements) > 0",
            "graph.requirements.map(g, g.min).exists(n, n > 1)",
            "resource.attributes.count > 1.5",
            "has(resource.zones)",
            "unknown.field == 1",
            "graph.requirements.exists(g, g.nope > 1)",
        ] {
            assert!(native(source).is_none(), "{source}");
        }
        for source in [
            "resource.critical && 'us-east-1' in graph.control_planes",
            "graph.requirements.exists(g, g.min > 1 && g.max_zone_loss > g.size - g.min)",
            "has(resource.attributes.x) ? size(resource.attributes.x) < 2 : true",
        ] {
            assert!(native(source).is_some(), "{source}");
        }
    }

    #[test]
    fn plain_equality_only() {
        let s = |t: &str| Value::from(t);
        assert_eq!(equals(&s("a"), &s("a")), Some(true));
        assert_eq!(equals(&s("a"), &Value::Null), Some(false));
        assert_eq!(equals(&Value::Int(1), &Value::Bool(true)), Some(false));
        assert_eq!(equals(&Value::Int(1), &Value::UInt(1)), None);
        assert_eq!(equals(&Value::Float(1.0), &Value::Int(1)), None);
        let list = Value::List(std::sync::Arc::new(vec![s("a")]));
        assert_eq!(equals(&list, &list), None);
        assert_eq!(equals(&list, &Value::Null), Some(false));
    }
}
