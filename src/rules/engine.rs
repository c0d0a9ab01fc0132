//! Running a rule pack: analysis rules call the exact analyses' producers with their
//! parameters; resource rules evaluate their CEL condition once per resource of a matching
//! kind, sharing one set of facts per resource across every rule that applies to it.

use rustc_hash::FxHashMap as HashMap;

use super::cel_expr::{self, holds, string_list};
use super::facts::{FactBase, Needs};
use super::lazy::Facts as LazyFacts;
use super::native::{Native, Resolved};
use super::{AnalysisCheck, Check, Rule, RulePack};
use crate::analysis::Analysis;
use crate::graph::{Estate, ResourceIx};
use crate::model::{DomainKind, Finding, RuleError};
use crate::rules::produce as findings;
use crate::rules::produce::{
    Draft, Sink, concentration_findings, coverage_findings, cut_set_findings, n_minus_one_findings,
    placement_findings, spof_findings,
};
use crate::rules::third_party::{shared_fate_findings, third_party_findings};

/// At most this many errors are listed per rule; the rest are counted in one more line.
const ERRORS_PER_RULE: usize = 20;

/// What running a pack found.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub errors: Vec<RuleError>,
}

/// How resource rules' conditions read the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facts {
    /// Conditions of the common shapes answered by native checks over the facts; what they
    /// leave undecided goes on as [`Facts::Lazy`]. What [`run`] uses.
    Native,
    /// Fields worked out when a condition first reads them; conditions that fail or use a
    /// map whole are answered by the eager maps.
    Lazy,
    /// Every field a pack names built into maps before each resource is evaluated: the
    /// reference the lazy facts are tested against.
    Eager,
}

/// Run every rule of `pack` against the estate.
pub fn run(pack: &RulePack, estate: &Estate, analysis: &Analysis) -> Evaluation {
    run_with(pack, estate, analysis, Facts::Native)
}

/// [`run`], with the facts read as `mode` says; the findings and errors do not depend on it.
pub fn run_with(pack: &RulePack, estate: &Estate, analysis: &Analysis, mode: Facts) -> Evaluation {
    let needs = pack.rules.iter().fold(Needs::default(), |needs, rule| {
        needs.union(rule_needs(rule))
    });
    let started = std::time::Instant::now();
    let facts = FactBase::new(estate, analysis, needs);
    tracing::trace!(
        elapsed_ms = started.elapsed().as_millis(),
        "rule facts built"
    );
    let started = std::time::Instant::now();
    let sink = run_rules(pack, estate, analysis, &facts, mode);
    tracing::trace!(elapsed_ms = started.elapsed().as_millis(), "rules run");
    let started = std::time::Instant::now();
    let findings = sink.findings;
    // Each rule's place in the order, looked up once per rule rather than per comparison.
    let ranks: HashMap<&str, (usize, usize)> = pack
        .rules
        .iter()
        .map(|rule| {
            let rank = match &rule.check {
                Check::Analysis(check) => (0, analysis_rank(check)),
                Check::Resource { .. } => (1, 0),
            };
            (rule.id.as_str(), rank)
        })
        .collect();
    // Each finding's rank looked up once, then the findings sorted through their indices.
    let rank: Vec<(usize, usize)> = findings
        .iter()
        .map(|f| ranks.get(f.rule.as_str()).copied().unwrap_or((1, 0)))
        .collect();
    let key = |i: usize| {
        let f = &findings[i];
        (
            std::cmp::Reverse(f.severity),
            rank[i],
            &f.rule,
            &f.message,
            &f.id,
        )
    };
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| key(a).cmp(&key(b)));
    // Position k takes the finding at order[k]: each cycle of the permutation is walked
    // with swaps, so no second vector of findings is made.
    let mut findings = findings;
    let mut placed = vec![false; order.len()];
    for start in 0..order.len() {
        let mut k = start;
        while !placed[k] {
            placed[k] = true;
            let next = order[k];
            if next == start {
                break;
            }
            findings.swap(k, next);
            k = next;
        }
    }
    tracing::trace!(
        elapsed_ms = started.elapsed().as_millis(),
        "findings sorted"
    );
    Evaluation {
        findings,
        errors: sink.errors,
    }
}

/// Headline analyses first: cut sets from the innermost domain out, then SPOFs, ...
fn analysis_rank(check: &AnalysisCheck) -> usize {
    match check {
        AnalysisCheck::CutSet { domain } => match domain {
            DomainKind::Zone => 0,
            DomainKind::Region => 1,
            DomainKind::Provider => 2,
        },
        AnalysisCheck::ResourceSpof { .. } => 3,
        AnalysisCheck::Concentration { .. } => 4,
        AnalysisCheck::NMinusOne { .. } => 5,
        AnalysisCheck::SharedFate => 6,
        AnalysisCheck::ThirdPartyConcentration { .. } => 7,
        AnalysisCheck::UnknownPlacement => 8,
        AnalysisCheck::CoverageGap => 9,
    }
}

/// The facts a rule's condition and templates read.
fn rule_needs(rule: &Rule) -> Needs {
    let needs = findings::template_needs(rule);
    match &rule.check {
        Check::Resource { condition, .. } => needs.union(Needs::of(&condition.source)),
        Check::Analysis(_) => needs,
    }
}

fn run_analysis(
    estate: &Estate,
    analysis: &Analysis,
    facts: &FactBase,
    rule: &Rule,
    check: &AnalysisCheck,
    sink: &mut Sink,
) {
    match check {
        AnalysisCheck::CutSet { domain } => cut_set_findings(estate, analysis, rule, *domain, sink),
        AnalysisCheck::ResourceSpof { managed_severity } => {
            spof_findings(estate, analysis, facts, rule, *managed_severity, sink)
        }
        AnalysisCheck::Concentration {
            over,
            population,
            max_share,
            max_hhi,
            min_domains,
        } => concentration_findings(
            estate,
            analysis,
            rule,
            *over,
            *population,
            (*max_share, *max_hhi, *min_domains),
            sink,
        ),
        AnalysisCheck::NMinusOne {
            capacity_attribute,
            headroom,
        } => n_minus_one_findings(
            estate,
            analysis,
            facts,
            rule,
            capacity_attribute,
            *headroom,
            sink,
        ),
        AnalysisCheck::UnknownPlacement => placement_findings(estate, facts, rule, sink),
        AnalysisCheck::CoverageGap => coverage_findings(estate, rule, sink),
        AnalysisCheck::SharedFate => shared_fate_findings(estate, analysis, rule, sink),
        AnalysisCheck::ThirdPartyConcentration {
            by,
            max_share,
            max_hhi,
        } => third_party_findings(estate, rule, *by, (*max_share, *max_hhi), sink),
    }
}

/// At most this many resources make one task of resource rules: small enough that the cores
/// finish together, large enough that a task costs far more than taking it.
const RESOURCES_PER_TASK: usize = 16_384;

/// One unit of rule work: an analysis rule, or every resource rule on a run of resources.
enum Task<'p> {
    Analysis(&'p Rule, &'p AnalysisCheck),
    Resources(std::ops::Range<usize>),
}

/// Run every rule, the analysis rules and runs of resources shared out over the cores as
/// each core comes free; the results are merged in task order, so they do not depend on
/// timing.
fn run_rules(
    pack: &RulePack,
    estate: &Estate,
    analysis: &Analysis,
    facts: &FactBase,
    mode: Facts,
) -> Sink {
    let rules = resource_rules(pack, mode);
    let full_needs: Vec<Needs> = rules.iter().map(|(r, ..)| rule_needs(r)).collect();
    let mut tasks: Vec<Task> = pack
        .rules
        .iter()
        .filter_map(|rule| match &rule.check {
            Check::Analysis(check) => Some(Task::Analysis(rule, check)),
            Check::Resource { .. } => None,
        })
        .collect();
    if !rules.is_empty() {
        let total = estate.len();
        tasks.extend(
            (0..total)
                .step_by(RESOURCES_PER_TASK)
                .map(|start| Task::Resources(start..(start + RESOURCES_PER_TASK).min(total))),
        );
    }
    let outputs = crate::parallel::map(&tasks, |task| match task {
        Task::Analysis(rule, check) => {
            let started = std::time::Instant::now();
            let mut sink = Sink::default();
            run_analysis(estate, analysis, facts, rule, check, &mut sink);
            tracing::trace!(rule = %rule.id, elapsed_ms = started.elapsed().as_millis(), "analysis rule");
            (sink, Vec::new())
        }
        Task::Resources(range) => {
            evaluate_range(range.clone(), &rules, &full_needs, estate, facts, mode)
        }
    });
    let mut sink = Sink::default();
    let mut error_counts = vec![0usize; rules.len()];
    let mut listed = vec![0usize; rules.len()];
    for ((part, counts), task) in outputs.into_iter().zip(&tasks) {
        sink.findings.extend(part.findings);
        if let Task::Analysis(..) = task {
            sink.errors.extend(part.errors);
            continue;
        }
        for error in part.errors {
            let i = rules
                .iter()
                .position(|(r, ..)| r.id == error.rule)
                .expect("errors come from these rules");
            if listed[i] < ERRORS_PER_RULE {
                listed[i] += 1;
                sink.errors.push(error);
            }
        }
        for (total, count) in error_counts.iter_mut().zip(counts) {
            *total += count;
        }
    }
    for (i, count) in error_counts.into_iter().enumerate() {
        if count > ERRORS_PER_RULE {
            sink.errors.push(RuleError {
                rule: rules[i].0.id.clone(),
                resource: None,
                message: format!(
                    "{} more resources failed the same way (only the first {ERRORS_PER_RULE} are listed)",
                    count - ERRORS_PER_RULE
                ),
            });
        }
    }
    sink
}

/// The pack's resource rules, each with the facts its condition reads and its native form.
fn resource_rules(pack: &RulePack, mode: Facts) -> Vec<ResourceRule<'_>> {
    // Conditions are evaluated with only the facts they read; a rule that fires gets a
    // context with what its templates read too.
    pack.rules
        .iter()
        .filter_map(|r| match &r.check {
            Check::Resource { condition, .. } => {
                let needs = Needs::of(&condition.source);
                let native = match mode == Facts::Native && !needs.whole() {
                    true => Native::compile(condition.ast()),
                    false => None,
                };
                Some((r, needs, native))
            }
            Check::Analysis(_) => None,
        })
        .collect()
}

/// The finding of resource rule `rule` on `ix`, its templates rendered with the facts they
/// read (`needs`) and the critical services the resource serves.
fn emit_resource_finding(
    rule: &Rule,
    needs: Needs,
    ix: ResourceIx,
    estate: &Estate,
    facts: &FactBase,
    sink: &mut Sink,
) {
    let resource = estate.resource(ix);
    let services = facts.services(ix);
    let context = findings::context(vec![
        ("resource", facts.resource(ix, needs)),
        ("graph", facts.graph(ix, needs)),
        ("services", string_list(facts.service_names(&services))),
    ]);
    let domains = resource
        .placement
        .zones()
        .iter()
        .filter_map(|z| estate.find_domain(DomainKind::Zone, z.as_str()))
        .map(|d| estate.domain(d).to_ref())
        .collect();
    let services = facts.service_ids(&services);
    let key = [resource.id.as_str()];
    let draft = Draft::of_resource(rule, &key, resource, domains, services);
    sink.emit(rule, draft, &context);
}

/// A resource rule, the facts its condition reads, and the condition's native form if it
/// has one.
type ResourceRule<'p> = (&'p Rule, Needs, Option<Native>);

/// Evaluate the resource rules on the resources of `range`: their findings, their errors (at
/// most [`ERRORS_PER_RULE`] per rule) and the count of errors per rule.
fn evaluate_range(
    range: std::ops::Range<usize>,
    rules: &[ResourceRule],
    full_needs: &[Needs],
    estate: &Estate,
    facts: &FactBase,
    mode: Facts,
) -> (Sink, Vec<usize>) {
    let mut sink = Sink::default();
    // Which rules apply to each kind, and what facts they need together: worked out once per
    // distinct kind.
    let mut by_kind: HashMap<&str, (Vec<usize>, Needs)> = HashMap::default();
    let mut error_counts = vec![0usize; rules.len()];
    for ix in range {
        let resource = &estate.snapshot.resources[ix];
        let (applicable, needs) = by_kind.entry(resource.kind.as_str()).or_insert_with(|| {
            let applicable: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, (rule, ..))| rule.applies_to(&resource.kind))
                .map(|(i, _)| i)
                .collect();
            let needs = applicable
                .iter()
                .fold(Needs::default(), |n, &i| n.union(rules[i].1));
            (applicable, needs)
        });
        if applicable.is_empty() {
            continue;
        }
        let ix = ResourceIx::new(ix);
        let resolved = Resolved::new(facts, ix, *needs);
        // The lazy facts and their CEL context, and the eager maps, made only when a
        // condition needs them.
        let lazy = std::cell::OnceCell::new();
        let mut lazy_context: Option<cel::Context> = None;
        let mut eager: Option<cel::Context> = None;
        for &i in applicable.iter() {
            let (rule, rule_needs, native) = &rules[i];
            let Check::Resource { condition, .. } = &rule.check else {
                continue;
            };
            let natively = native.as_ref().and_then(|n| n.holds(&resolved));
            let lazily = match natively {
                Some(flag) => Some(flag),
                None if mode != Facts::Eager && !rule_needs.whole() => {
                    let context = lazy_context.get_or_insert_with(|| {
                        let mut context = cel::Context::with_env(cel_expr::env());
                        context.set_variable_resolver(
                            lazy.get_or_init(|| LazyFacts::new(facts, ix, *needs)),
                        );
                        context
                    });
                    holds(condition, context).ok()
                }
                None => None,
            };
            // Errors, and conditions using `resource` or `graph` whole, are answered by the
            // eager maps (the same values, and every operation on them).
            let verdict = match lazily {
                Some(flag) => Ok(flag),
                None => holds(
                    condition,
                    eager.get_or_insert_with(|| {
                        findings::context(vec![
                            ("resource", facts.resource(ix, *needs)),
                            ("graph", facts.graph(ix, *needs)),
                        ])
                    }),
                ),
            };
            match verdict {
                Ok(false) => {}
                Ok(true) => {
                    emit_resource_finding(rule, full_needs[i], ix, estate, facts, &mut sink)
                }
                Err(message) => {
                    error_counts[i] += 1;
                    if error_counts[i] <= ERRORS_PER_RULE {
                        sink.errors.push(RuleError {
                            rule: rule.id.clone(),
                            resource: Some(resource.id.clone()),
                            message,
                        });
                    }
                }
            }
        }
    }
    (sink, error_counts)
}
