// The screens: join until you are in a world, then the world.
import type { Store } from "./state/store";
import { StoreContext } from "./state/context";
import { JoinScreen } from "./session/JoinScreen";
import { WorldScreen } from "./world/WorldScreen";
import { Toasts } from "./session/Toasts";

export function App({ store }: { store: Store }) {
  const s = store.state.value;
  return (
    <StoreContext.Provider value={store}>
      {!s.loaded ? <div class="splash" role="status">Loading…</div>
        : s.world && s.me && s.session.status !== "idle" ? <WorldScreen world={s.world} />
        : <JoinScreen />}
      <Toasts />
    </StoreContext.Provider>
  );
}
