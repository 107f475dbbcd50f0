import { useEffect, useRef } from "react";

/** A modal asking to confirm a destructive step. */
export function ConfirmDialog({
	title,
	message,
	confirmLabel,
	cancelLabel = "Cancel",
	onConfirm,
	onCancel,
}: {
	title: string;
	message: string;
	confirmLabel: string;
	/** The label of the button that closes the dialog without doing anything. */
	cancelLabel?: string;
	onConfirm: () => void;
	onCancel: () => void;
}) {
	const dialog = useRef<HTMLDialogElement>(null);
	useEffect(() => {
		dialog.current?.showModal();
	}, []);
	return (
		<dialog ref={dialog} className="dialog" onCancel={onCancel} data-testid="confirm-dialog">
			<h3>{title}</h3>
			<p>{message}</p>
			<div className="row end">
				<button type="button" onClick={onCancel}>
					{cancelLabel}
				</button>
				<button type="button" className="danger" onClick={onConfirm} data-testid="confirm">
					{confirmLabel}
				</button>
			</div>
		</dialog>
	);
}
