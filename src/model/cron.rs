//! The refresh schedule's cron expression: five fields as GitHub's `on: schedule` takes them
//! (POSIX cron: `*`, `,`, `-`, `/`, month and day names), and GitHub's shortest interval, 5
//! minutes. Checked here so that a workflow GitHub would reject or silently ignore is never
//! written.

/// GitHub runs scheduled workflows at most every 5 minutes.
pub const MIN_INTERVAL_MINUTES: u32 = 5;

const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    ("month", 1, 12, &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
    ("day of week", 0, 6, &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
];

/// What is wrong with `expression`, with a hint, or `None` when GitHub takes it.
pub fn problem(expression: &str) -> Option<(String, String)> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if fields.len() != 5 {
        return Some((
            format!(
                "a cron schedule has 5 fields (minute hour day-of-month month day-of-week), this has {}",
                fields.len()
            ),
            "for example `0 4 * * 1`: Mondays at 04:00 UTC".to_string(),
        ));
    }
    let mut parsed: Vec<Vec<u32>> = Vec::with_capacity(5);
    for (field, (name, low, high, names)) in fields.iter().zip(FIELDS) {
        match values(field, low, high, names) {
            Ok(values) => parsed.push(values),
            Err(why) => {
                let range = if names.is_empty() {
                    format!("{low}-{high}")
                } else {
                    format!("{low}-{high} or {}-{}", names[0], names[names.len() - 1])
                };
                return Some((format!("the {name} field `{field}` {why}"), format!("{name} values are {range}")));
            }
        }
    }
    if let Some(problem) = never_fires(&fields, &parsed[2], &parsed[3]) {
        return Some(problem);
    }
    let minutes = &parsed[0];
    // The shortest gap between two runs within an hour, or across the hour.
    let gaps = minutes.windows(2).map(|w| w[1] - w[0]).chain([60 - minutes[minutes.len() - 1] + minutes[0]]);
    let shortest = gaps.min().unwrap_or(60);
    (shortest < MIN_INTERVAL_MINUTES).then(|| {
        (
            format!("the schedule runs every {shortest} minute{}", if shortest == 1 { "" } else { "s" }),
            format!(
                "GitHub runs scheduled workflows at most every {MIN_INTERVAL_MINUTES} minutes; e.g. `*/15 * * * *`"
            ),
        )
    })
}

/// The most days each month has (February's in a leap year).
const DAYS_IN_MONTH: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Why a schedule whose days of the month no listed month has would never run. Cron runs on a
/// day that matches the day of the month *or* the day of the week when both are restricted; a
/// field starting with `*` is unrestricted.
fn never_fires(fields: &[&str], days: &[u32], months: &[u32]) -> Option<(String, String)> {
    if fields[2].starts_with('*') || !fields[4].starts_with('*') {
        return None;
    }
    let longest = months.iter().map(|&m| DAYS_IN_MONTH[m as usize - 1]).max().unwrap_or(31);
    let first = *days.first()?;
    (first > longest).then(|| {
        (
            format!("the schedule never runs: no month of `{}` has a day {}", fields[3], fields[2]),
            format!("those months have at most {longest} days: pick days from 1 to {longest}"),
        )
    })
}

/// The values a field matches, sorted, or why it is not a field.
fn values(field: &str, low: u32, high: u32, names: &[&str]) -> Result<Vec<u32>, String> {
    let number = |text: &str| -> Result<u32, String> {
        if let Some(at) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
            return Ok(low + at as u32);
        }
        let value: u32 = text.parse().map_err(|_| format!("has `{text}`, which is no value"))?;
        if value < low || value > high {
            return Err(format!("has {value}, out of range"));
        }
        Ok(value)
    };
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| format!("has the step `{step}`, which is no number"))?;
                if step == 0 {
                    return Err("has a step of 0".to_string());
                }
                (range, step)
            }
            None => (item, 1),
        };
        let (first, last) = if range == "*" {
            (low, high)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (number(a)?, number(b)?);
            if a > b {
                return Err(format!("has the range `{range}`, which runs backwards"));
            }
            (a, b)
        } else {
            let a = number(range)?;
            (a, if step > 1 { high } else { a })
        };
        out.extend((first..=last).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn schedules_github_takes() {
        for ok in [
            "0 4 * * 1",
            "*/5 * * * *",
            "30 2 1,15 * MON-FRI",
            "0 0 * jan,Jul sun",
            "7-59/10 */6 * * *",
            "55 * * * *",
            // Leap years have it; a restricted day of the week runs on its own; other months have 31.
            "0 0 29 2 *",
            "0 0 31 2 1",
            "0 0 31 2,3 *",
            "0 0 30,31 4 *",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn schedules_it_does_not() {
        for (bad, says) in [
            ("0 4 * *", "has 5 fields"),
            ("0 4 * * 1 2024", "this has 6"),
            ("60 4 * * *", "60, out of range"),
            ("0 4 * * 7", "7, out of range"),
            ("0 4 32 * *", "32, out of range"),
            ("0 4 * * FUN", "`FUN`, which is no value"),
            ("0 4-2 * * *", "runs backwards"),
            ("*/0 * * * *", "step of 0"),
            ("* * * * *", "every 1 minute"),
            ("*/2 * * * *", "every 2 minutes"),
            ("0,3 * * * *", "every 3 minutes"),
            ("0 4 * * 1,", "has ``, which is no value"),
            ("0 0 31 2 *", "never runs: no month of `2` has a day 31"),
            ("0 0 30-31 FEB *", "never runs"),
            ("0 0 31 4,6,9,11 *", "never runs"),
        ] {
            let (message, _) = problem(bad).unwrap_or_else(|| panic!("{bad} passes"));
            assert!(message.contains(says), "{bad}: {message}");
        }
    }
}
