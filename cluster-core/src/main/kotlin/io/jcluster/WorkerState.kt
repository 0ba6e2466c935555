package io.jcluster

/**
 * Where a worker is in its life, as the primary sees it. One pure function, [next], moves it on:
 *
 * | state \ input   | Online  | Listening | DisconnectRequested | ChannelClosed | ProcessExited |
 * |-----------------|---------|-----------|---------------------|---------------|---------------|
 * | Forked          | Online  | —         | Disconnecting       | Disconnected  | Dead          |
 * | Online          | —       | Listening | Disconnecting       | Disconnected  | Dead          |
 * | Listening       | —       | Listening | Disconnecting       | Disconnected  | Dead          |
 * | Disconnecting   | —       | —         | Disconnecting       | Disconnected  | Dead          |
 * | Disconnected    | —       | —         | Disconnected        | —             | Dead          |
 * | Dead            | —       | —         | —                   | —             | —             |
 *
 * "—" means the input does not apply in that state: [next] returns null and the primary ignores it
 * (a worker cannot listen before it is online, nothing revives the dead). A worker leaves the
 * registry once it is [Dead] *and* its channel has closed, whichever came first.
 */
public sealed class WorkerState {
    /** The process was started; it has not reported in yet. */
    public data object Forked : WorkerState()

    /** The worker connected back and said it is running. */
    public data object Online : WorkerState()

    /** The worker serves at least one listener. */
    public data object Listening : WorkerState()

    /** Asked to disconnect: it closes its servers, finishes its work, then exits. */
    public data object Disconnecting : WorkerState()

    /** Its channel to the primary is closed; the process may still be running. */
    public data object Disconnected : WorkerState()

    /** The process has exited. */
    public data class Dead(val exit: ExitStatus) : WorkerState()

    /** The state after [input], or null where the table above has "—". */
    public fun next(input: WorkerInput): WorkerState? = when (input) {
        WorkerInput.Online -> Online.takeIf { this == Forked }
        WorkerInput.Listening -> Listening.takeIf { this == Online || this == Listening }
        WorkerInput.DisconnectRequested -> when (this) {
            Forked, Online, Listening, Disconnecting -> Disconnecting
            Disconnected -> Disconnected
            is Dead -> null
        }
        WorkerInput.ChannelClosed -> Disconnected.takeIf { this != Disconnected && this !is Dead }
        is WorkerInput.ProcessExited -> if (this is Dead) null else Dead(input.exit)
    }
}

/** What can happen to a worker; the columns of the table on [WorkerState]. */
public sealed class WorkerInput {
    /** The worker reported that it is running. */
    public data object Online : WorkerInput()

    /** The worker's server accepts connections. */
    public data object Listening : WorkerInput()

    /** `disconnect()` was called, on either side. */
    public data object DisconnectRequested : WorkerInput()

    /** The control channel closed. */
    public data object ChannelClosed : WorkerInput()

    /** The process exited. */
    public data class ProcessExited(val exit: ExitStatus) : WorkerInput()
}
