// The description of `vn.tiendo.Delivery` served by GetInterfaceDescription: equal to the repository's
// vn.tiendo.Delivery.varlink byte for byte (a test checks it).
extension VarlinkIDL {
    static let delivery = #"""
        # tiendod's extension interface for delivery (docs/delivery.md): the queue of emails and webhooks that the sender
        # (tiendo-deliver) works, and what operators see of it. Claim, Report, Release and NextDue answer only root and the
        # tiendo-deliver user; Retry and Discard the administrators of vn.tiendo.Manager and the web front end; List and
        # Counts every reader.
        # Instants are ISO 8601 with the offset of Asia/Ho_Chi_Minh.
        interface vn.tiendo.Delivery

        # Why a send failed: class transient or permanent, scope message or channel.
        type Failure (class: string, scope: string, reason: string, retryAfter: ?int)

        # One delivery of a claimed job: the record it carries (as stored) and how to send it; label is the name its
        # instance goes by, for a digest; dueAt is when it could first be sent (transient failures give up counting
        # from it).
        type Item (
          id: int,
          key: string,
          recordKey: string,
          record: object,
          channel: string,
          recipient: ?string,
          route: string,
          digest: ?string,
          digestPeriod: ?string,
          series: ?string,
          label: ?string,
          notBefore: string,
          expiresAt: ?string,
          attempts: int,
          createdAt: string,
          dueAt: ?string,
          supersededBy: ?int
        )

        # One message: a single delivery, or the due deliveries of a digest; messageKey is its Message-ID or webhook-id,
        # the same on every retry.
        type Job (messageKey: string, channel: string, recipient: ?string, items: []Item, leaseUntil: string)

        # An outcome: sent (providerId), retry (next, failure), dead (failure), expired (reason) or held (next: outside
        # the sending hours its route keeps, back to the queue until then, no attempt counted).
        type Report (
          id: int,
          messageKey: string,
          at: string,
          outcome: string,
          providerId: ?string,
          next: ?string,
          failure: ?Failure,
          reason: ?string
        )

        # A delivery as operators see it. state: pending, inflight, sent, dead or expired.
        type Row (
          id: int,
          key: string,
          state: string,
          channel: string,
          recipient: ?string,
          route: string,
          workflow: string,
          instance: ?string,
          label: ?string,
          kind: string,
          message: string,
          recordKey: string,
          digest: ?string,
          notBefore: string,
          expiresAt: ?string,
          createdAt: string,
          attempts: int,
          messageKey: ?string,
          errorClass: ?string,
          error: ?string,
          providerId: ?string,
          finishedAt: ?string
        )

        # Up to limit due messages of the channel, oldest delivery first, leased to owner for lease seconds. The owner's
        # earlier claims go back to the queue first (a worker claims again only when its last batch is done). now replaces
        # the daemon's clock (a sender on virtual time, tests).
        method Claim(channel: string, owner: string, limit: int, lease: int, now: ?string) -> (jobs: []Job)

        # Outcomes of claims the owner holds; the others are ignored (applied counts those kept).
        method Report(owner: string, reports: []Report) -> (applied: int)

        # Claims back to the queue unsent, without counting an attempt; every claim of the owner without ids.
        method Release(owner: string, ids: ?[]int) -> (released: int)

        # When the channel next has something to do (a pending delivery, or a lease that runs out). With "more": true,
        # the first reply is the current value and each later one comes when it changes.
        method NextDue(channel: string) -> (at: ?string)

        # Deliveries in queue order (newest: the latest first): states among pending, inflight, failed (unfinished, failed
        # at least once), sent, dead, expired (default: all); limit 100 by default, at most 10000; next is the cursor for
        # after (with newest, ids below it).
        method List(states: ?[]string, channel: ?string, limit: ?int, after: ?int, newest: ?bool) -> (rows: []Row, next: ?int)

        # Dead letters back to the queue at once, with their message keys: ids, or every one with allDead; actor: whom
        # a front end acts for (logged), as in vn.tiendo.Manager.
        method Retry(ids: ?[]int, allDead: ?bool, actor: ?string) -> (retried: int)

        # Dead letters set aside as dealt with: each becomes expired, its reason kept after who set it aside; ids, or
        # every one with allDead. Who may: as Retry.
        method Discard(ids: ?[]int, allDead: ?bool, actor: ?string) -> (discarded: int)

        # Per state (every channel added up, failed included), per channel, and per channel when its earliest waiting
        # delivery is or was due (dueAt; ahead for a digest before its time); routing: the routing file in force, absent
        # when there is none (nothing is queued to send).
        method Counts() -> (states: [string]int, channels: [string][string]int, oldestPending: [string]string, routing: ?string)

        error NoSuchDelivery (id: int)

        # Claim: another tiendo-deliver (pid) is claiming under the same owner; a second sender would send everything twice.
        error SenderRunning (pid: int)

        """#
}
