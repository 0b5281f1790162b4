//! The hosts `tell explore` explores with, and the model each builds from
//! what a schedule file records (`ScheduleOrigin`), so `tell explore` and
//! `tell sim --schedule` build the same model: the built-in scripted-choice
//! host (the default) and the bundled consensus host (`--host consensus`).

use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use telltale_compiler::{CodeImage, RoleId};
use telltale_consensus_host::bundle::config_of;
use telltale_consensus_host::explorable::{Equivocation, ExplorableRound};
use telltale_consensus_host::handler::prover_index;
use telltale_explorer::{
    ByzantineHost, ExplorableHost, FabricatedLies, ProtocolModel, ScheduleOrigin,
    ScriptedChoiceHost,
};
use telltale_vm::EffectScript;

/// The built-in host: scripted effect answers, lying roles.
pub(crate) type ScriptedHost = ByzantineHost<ScriptedChoiceHost, FabricatedLies>;

/// The consensus example's host, its byzantine provers equivocating.
pub(crate) type ConsensusHost = ByzantineHost<ExplorableRound, Equivocation>;

/// A model with one of the hosts `tell explore` knows.
pub(crate) enum ExploreModel {
    /// `--host` not given.
    Scripted(ProtocolModel<ScriptedHost>),
    /// `--host consensus`.
    Consensus(ProtocolModel<ConsensusHost>),
}

/// The hosts `--host` names.
pub(crate) const HOSTS: &[&str] = &["consensus"];

/// The model `origin` describes over `image`: its host, byzantine roles,
/// bound, drop budget, timeouts and observation checks.
pub(crate) fn model_of(image: CodeImage, origin: &ScheduleOrigin) -> Result<ExploreModel> {
    Ok(match origin.host.as_deref() {
        None => ExploreModel::Scripted(checked(scripted(image, origin)?, origin)?),
        Some("consensus") => ExploreModel::Consensus(checked(consensus(image, origin)?, origin)?),
        Some(other) => bail!(
            "`--host {other}`: no such host (the hosts: {})",
            HOSTS.join(", ")
        ),
    })
}

/// The built-in host over `image`, with `origin`'s effect script and liars.
fn scripted(image: CodeImage, origin: &ScheduleOrigin) -> Result<ProtocolModel<ScriptedHost>> {
    if !origin.host_options.is_empty() {
        bail!("`--host-option` needs a `--host`");
    }
    let script = EffectScript::parse(&origin.effects)?;
    script.check(&image.effects)?;
    let liars = origin
        .byzantine
        .iter()
        .map(|name| role_of(&image, name))
        .collect::<Result<Vec<RoleId>>>()?;
    let host = ByzantineHost::new(
        ScriptedChoiceHost::new(script, &image.effects),
        liars,
        FabricatedLies { count: origin.lies },
    );
    Ok(ProtocolModel::new(image, host, origin.buffer_bound)?)
}

/// The consensus round's host over `image` (`params` N and L, options
/// `round` and `quorum` as a scenario's), its `--byzantine` provers
/// telling their other story.
fn consensus(image: CodeImage, origin: &ScheduleOrigin) -> Result<ProtocolModel<ConsensusHost>> {
    if !origin.effects.is_empty() {
        bail!("`--effect` scripts the built-in host; the consensus host answers for itself");
    }
    let config = config_of(&origin.params, &origin.host_options)
        .map_err(|e| anyhow::anyhow!("`--host consensus`: {e}"))?;
    let mut liars = BTreeSet::new();
    for name in &origin.byzantine {
        role_of(&image, name)?;
        liars.insert(prover_index(name)?);
    }
    let host = ExplorableRound::new(config).with_liars(&liars, &image);
    Ok(ProtocolModel::new(image, host, origin.buffer_bound)?)
}

/// `model` with `origin`'s drop budget, timeouts and observation checks.
fn checked<H: ExplorableHost>(
    model: ProtocolModel<H>,
    origin: &ScheduleOrigin,
) -> Result<ProtocolModel<H>> {
    let mut model = model
        .with_drop_budget(origin.drops)
        .with_timeouts(origin.timeouts);
    for key in &origin.agreement {
        model = model.with_agreement(key);
    }
    for key in &origin.never {
        model = model.with_never(key);
    }
    for check in &origin.validity {
        let (key, values) = check
            .split_once('=')
            .with_context(|| format!("`--validity {check}`: expected KEY=VALUE,VALUE..."))?;
        let allowed: Vec<&str> = values.split(',').map(str::trim).collect();
        model = model.with_validity(key.trim(), &allowed);
    }
    Ok(model)
}

/// The id of role `name` in `image`, or an error listing its roles.
fn role_of(image: &CodeImage, name: &str) -> Result<RoleId> {
    image.symbols.role_id(name).with_context(|| {
        let roles: Vec<&str> = image.symbols.roles.iter().map(|r| r.as_str()).collect();
        format!(
            "`--byzantine {name}`: the protocol has no role `{name}` (its roles: {})",
            roles.join(", ")
        )
    })
}
