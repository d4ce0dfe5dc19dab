// Which console lines of a test run are expected noise: the runtime's log lines about faults a test injected on
// purpose (src/commit/Faults.ts: "injected crash of ...", "injected <point> failure", InjectedFault). A supervisor
// that parks a message a test made crash, or a relay that retries after an injected failure, logs a warning with
// the whole cause and its stack; the test asserts on the outcome. Everything else is printed, including every log
// line of a real (not injected) failure. Set MAILROOM_TEST_LOGS=all to see the hidden lines too.

/** An Effect log line (logfmt, as the default logger prints it). */
const effectLogLine = /^timestamp=\S+ level=[A-Z]+ /

/** The marks every injected fault carries in its message. */
const injectedFault = /injected crash of |injected \w+ failure|InjectedFault/

/** True for a log line about a fault a test injected (hidden from the test output). */
export const isInjectedFaultLog = (log: string): boolean => effectLogLine.test(log) && injectedFault.test(log)

/** Vitest's `onConsoleLog`: false drops the line. */
export const onConsoleLog = (log: string): boolean =>
  process.env.MAILROOM_TEST_LOGS === "all" || !isInjectedFaultLog(log)
