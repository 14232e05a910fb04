// A level-triggered controller as an XState actor. It does one thing, over and over: reconcile —
// read the replicated state, plan, propose the plan and wait until it is applied. A wake-up that
// arrives while it reconciles is remembered and answered by one more round (never two rounds at
// once: a plan made before the previous one is applied could act twice on the same gap). A
// round may ask to be repeated at a time (a deadline, a minReadySeconds wait) even if nothing
// changes. A round that throws crashes the actor, and its supervisor restarts it: the restarted
// actor starts from nothing and simply looks at the world again.

import { assign, fromCallback, fromPromise, setup } from 'xstate'

/** What one round found: when to look again without being woken (absent: only when woken). */
export interface ReconcileOutcome {
  readonly recheckAtMs?: number
}

export interface ControllerInput {
  /** One round: plan from the current state, propose, resolve once applied. */
  readonly reconcile: () => Promise<ReconcileOutcome>
  /** Calls `wake` whenever the state may have changed; returns the unsubscribe. */
  readonly subscribe: (wake: () => void) => () => void
  /** The clock's now, to turn a recheck time into a delay. */
  readonly nowMs: () => number
}

/** A debugging hook (`cox` debug endpoint, tests): the actor crashes as if its round had thrown. */
export const crashEventType = 'controller.crash'

/** The longest a controller sleeps between rounds, woken or not: a missed wake-up heals itself. */
export const resyncMsMax = 30_000

interface Context {
  readonly input: ControllerInput
  /** Woken during a round: run another one. */
  dirty: boolean
  recheckInMs: number
}

type ControllerEvent = { type: 'wake' } | { type: typeof crashEventType; reason?: string }

export class ControllerCrash extends Error {
  static override readonly name = 'ControllerCrash'
  constructor(reason: string) {
    super(reason)
    this.name = 'ControllerCrash'
  }
}

export const controllerLogic = setup({
  types: {} as { context: Context; input: ControllerInput; events: ControllerEvent },
  actors: {
    reconcile: fromPromise<ReconcileOutcome, ControllerInput>(({ input }) => input.reconcile()),
    signals: fromCallback<ControllerEvent, ControllerInput>(({ input, sendBack }) =>
      input.subscribe(() => sendBack({ type: 'wake' })),
    ),
  },
  delays: {
    recheck: ({ context }) => context.recheckInMs,
  },
}).createMachine({
  id: 'controller',
  context: ({ input }) => ({ input, dirty: false, recheckInMs: resyncMsMax }),
  invoke: { src: 'signals', input: ({ context }) => context.input },
  on: {
    [crashEventType]: {
      actions: ({ event }) => {
        throw new ControllerCrash(event.reason ?? 'crashed on request')
      },
    },
  },
  initial: 'reconciling',
  states: {
    idle: {
      on: { wake: 'reconciling' },
      after: { recheck: 'reconciling' },
    },
    reconciling: {
      entry: assign({ dirty: false }),
      on: { wake: { actions: assign({ dirty: true }) } },
      invoke: {
        src: 'reconcile',
        input: ({ context }) => context.input,
        onDone: [
          { guard: ({ context }) => context.dirty, target: 'reconciling', reenter: true },
          {
            target: 'idle',
            actions: assign({
              recheckInMs: ({ context, event }) => {
                const at = event.output.recheckAtMs
                const inMs = at === undefined ? resyncMsMax : at - context.input.nowMs()
                return Math.max(0, Math.min(resyncMsMax, inMs))
              },
            }),
          },
        ],
        onError: {
          actions: ({ event }) => {
            // Thrown from an action, the error fails this actor; its supervisor takes it from there.
            throw event.error
          },
        },
      },
    },
  },
})
