// The inbox's only script. A page restored from the browser's back-forward cache shows
// the item as it was (an Approve button for an item already approved): fetch it again.
addEventListener('pageshow', (event) => {
  if (event.persisted) {
    location.reload();
  }
});
