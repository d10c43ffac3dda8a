//! Errors as PowerShell handles them: a failing statement writes its error and the next one runs;
//! the run stops on `$ErrorActionPreference = 'Stop'`, `-ErrorAction Stop` or `throw`; a parse
//! error anywhere means nothing runs.

use super::*;

/// A tenant whose `Set-CsTenantHybridConfiguration` fails with `message`.
fn refusing(message: &'static str) -> (Arc<Recorder>, CmdletTable) {
    let recorder =
        Arc::new(Recorder { fail: Some(("Set-CsTenantHybridConfiguration", message)), ..Default::default() });
    (recorder.clone(), RoleExecutors { tenant: Some(recorder), ..Default::default() }.cmdlet_table())
}

const THREE_LINES: &str =
    "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl x\nGet-Nothing\nGet-CsNetworkConfiguration\n";

#[test]
fn every_failed_statement_is_written_and_the_run_goes_on() {
    let (recorder, table) = refusing("the URL is bad");
    let t = block(run(THREE_LINES, &table)).expect("failed statements do not stop the run");
    let failures: Vec<(usize, usize)> = t.failures().map(|e| (e.line, e.column)).collect();
    assert_eq!(failures, [(1, 1), (2, 1)]);
    assert!(!t.succeeded());
    assert_eq!(t.steps.len(), 3);
    let calls: Vec<String> = recorder.calls.lock().unwrap().iter().map(|c| c.cmdlet.clone()).collect();
    assert_eq!(calls, ["Set-CsTenantHybridConfiguration", "Get-CsNetworkConfiguration"]);
    let text = t.render();
    assert!(
        text.contains("PS> Get-Nothing\nThe term 'Get-Nothing' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\nAt line:2 char:1\n+ Get-Nothing\n+ ~~~~~~~~~~~\nPS> Get-CsNetworkConfiguration\n"),
        "{text}"
    );
    let file = t.render_in(THREE_LINES, Some("enable.ps1"));
    assert!(file.contains("Set-CsTenantHybridConfiguration : the URL is bad\nAt enable.ps1:1 char:1\n"), "{file}");
    assert_eq!(t.to_json()["steps"][1]["errors"][0]["line"], serde_json::json!(2));
}

#[test]
fn error_action_preference_stop_ends_the_run_at_the_first_error() {
    let (recorder, table) = refusing("the URL is bad");
    let err = block(run(&format!("$ErrorActionPreference = 'Stop'\n{THREE_LINES}"), &table)).unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (2, "Set-CsTenantHybridConfiguration : the URL is bad"));
    assert_eq!(err.transcript.steps.len(), 2, "the stopping statement is in the transcript");
    assert_eq!(recorder.calls.lock().unwrap().len(), 1, "nothing after the stop runs");
}

#[test]
fn error_action_stop_on_the_statement_ends_the_run() {
    let (recorder, table) = refusing("the URL is bad");
    let source = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl x -ErrorAction Stop\nGet-CsNetworkConfiguration\n";
    let err = block(run(source, &table)).unwrap_err();
    assert_eq!(err.line, 1);
    assert_eq!(recorder.calls.lock().unwrap().len(), 1);
    let (recorder, table) = refusing("the URL is bad");
    let source =
        "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl x -ea:Continue\nGet-CsNetworkConfiguration\n";
    assert!(!block(run(source, &table)).unwrap().succeeded());
    assert_eq!(recorder.calls.lock().unwrap().len(), 2);
}

#[test]
fn silently_continue_keeps_the_error_out_of_the_failures() {
    let (_, table) = refusing("the URL is bad");
    let source = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl x -ErrorAction SilentlyContinue -ErrorVariable problems\n$problems\n";
    let t = block(run(source, &table)).unwrap();
    assert!(t.succeeded(), "{}", t.render());
    assert!(t.steps[0].information[0].contains("the URL is bad"), "{:?}", t.steps[0]);
    let Value::List(kept) = &t.steps[1].output.objects[0] else { panic!("{:?}", t.steps[1]) };
    assert_eq!(kept.len(), 1, "-ErrorVariable keeps the silenced error");
}

#[test]
fn throw_stops_the_run_with_its_message() {
    let (recorder, table) = tenant();
    let err = block(run(
        "Get-CsNetworkConfiguration\nthrow \"Replication has not finished\"\nGet-CsNetworkConfiguration",
        &table,
    ))
    .unwrap_err();
    assert_eq!(at(&err), (2, 1, "Replication has not finished"));
    assert_eq!(recorder.calls.lock().unwrap().len(), 1);
    let err = block(run("throw", &table)).unwrap_err();
    assert_eq!(err.message, "ScriptHalted");
}

#[test]
fn a_parse_error_anywhere_means_nothing_runs() {
    let (recorder, table) = tenant();
    let err = block(run("Get-CsNetworkConfiguration\nGet-CsNetworkConfiguration -Identity a,\n", &table)).unwrap_err();
    assert_eq!(at(&err), (2, 39, "Missing expression after ','."));
    assert!(recorder.calls.lock().unwrap().is_empty());
    assert!(err.transcript.steps.is_empty());
}

#[test]
fn an_assignment_from_a_statement_refused_before_it_ran_leaves_the_variable_unset() {
    let (_, table) = tenant();
    let t = block(run(
        "$m = New-CsNetworkMediaBypassConfiguration -Enabled maybe\nSet-CsNetworkConfiguration -MediaBypassSettings $m",
        &table,
    ))
    .unwrap();
    let failures: Vec<&str> = t.failures().map(|e| e.message.as_str()).collect();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[1], "The variable '$m' cannot be retrieved because it has not been set.");
}

#[test]
fn the_errors_are_kept_in_dollar_error_newest_first() {
    let (_, table) = tenant();
    let t = block(run("Get-One\nGet-Two\n$Error", &table)).unwrap();
    let Value::List(records) = &t.steps[2].output.objects[0] else { panic!("{:?}", t.steps[2]) };
    let messages: Vec<String> =
        records.iter().map(|r| crate::runbook::property::follow(r.clone(), "Exception.Message").display()).collect();
    assert!(
        messages[0].starts_with("The term 'Get-Two'") && messages[1].starts_with("The term 'Get-One'"),
        "{messages:?}"
    );
}

#[test]
fn try_catch_finally_with_dollar_underscore_and_dollar_error() {
    let (recorder, table) = refusing("the URL is bad");
    let source = "try {\n  Get-Nothing\n  Get-CsNetworkConfiguration\n}\ncatch {\n  $caught = $_.Exception.Message\n  $Error[0].Exception.Message\n}\nfinally {\n  Get-CsTenantHybridConfiguration\n}\n$caught\n";
    let t = block(run(source, &table)).unwrap();
    assert!(t.succeeded(), "a caught error is not written:\n{}", t.render());
    let calls: Vec<String> = recorder.calls.lock().unwrap().iter().map(|c| c.cmdlet.clone()).collect();
    assert_eq!(calls, ["Get-CsTenantHybridConfiguration"], "the try block stopped at its error; finally ran");
    let last = &t.steps.last().unwrap().output.objects;
    assert!(
        matches!(&last[0], Value::String(m) if m.starts_with("The term 'Get-Nothing' is not recognized")),
        "{last:?}"
    );
    let printed = &t.steps.iter().find(|s| s.line == 7).unwrap().output.objects;
    assert_eq!(printed, last, "$Error[0] is the newest error");
}

#[test]
fn a_cmdlets_own_error_is_caught_only_under_stop() {
    let (recorder, table) = refusing("the URL is bad");
    let written = "try { Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl x; Get-CsNetworkConfiguration } catch { throw 'caught' }";
    let t = block(run(written, &table)).unwrap();
    assert_eq!(t.failures().count(), 1, "written, not caught: the try block goes on");
    assert_eq!(recorder.calls.lock().unwrap().len(), 2);
    let (recorder, table) = refusing("the URL is bad");
    let stopped = "try { Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl x -ErrorAction Stop; Get-CsNetworkConfiguration } catch { $m = $_.Exception.Message }\n$m";
    let t = block(run(stopped, &table)).unwrap();
    assert!(t.succeeded(), "{}", t.render());
    assert_eq!(recorder.calls.lock().unwrap().len(), 1, "the catch block took it");
    assert_eq!(
        t.steps.last().unwrap().output.objects,
        [Value::String("Set-CsTenantHybridConfiguration : the URL is bad".into())]
    );
}

#[test]
fn a_throw_in_a_catch_block_ends_the_run() {
    let (_, table) = tenant();
    let source = "try { throw 'first' } catch { throw $_.Exception.Message }\nGet-CsNetworkConfiguration";
    let err = block(run(source, &table)).unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (1, "first"));
    assert_eq!(err.transcript.steps.len(), 2, "the line after did not run");
    let err = block(run("try { Get-CsNetworkConfiguration } catch", &table)).unwrap_err();
    assert_eq!(err.message, "Missing statement block after 'catch'.");
}
