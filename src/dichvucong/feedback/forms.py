"""The feedback pages' forms (the rules are in ``services.py``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dichvucong.agencies.models import Agency
from dichvucong.feedback.models import Subject
from dichvucong.feedback.services import Draft


class MultipleFiles(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files; checked by content in ``services.check_files``, not here."""

    def clean(self, data, initial=None):
        return data or []


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Số điện thoại di động"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Mã xác nhận gửi tới số này; câu trả lời cũng được gửi tới số này."))


class FeedbackForm(forms.Form):
    subject = forms.ChoiceField(label=_("Bạn phản ánh về"), choices=Subject.choices,
                                widget=forms.RadioSelect)
    dossier_code = forms.CharField(
        label=_("Mã hồ sơ (nếu phản ánh về hồ sơ của bạn)"), max_length=40, required=False,
        help_text=_("Mã in trên giấy tiếp nhận, ví dụ 000.00.12.H17-241001-0001. Chỉ gắn được "
                    "hồ sơ của chính bạn."))
    procedure_code = forms.CharField(
        label=_("Mã thủ tục (nếu có)"), max_length=40, required=False,
        help_text=_("Xem trên trang thủ tục, ví dụ 1.001193."))
    agency = forms.ModelChoiceField(
        label=_("Cơ quan bạn phản ánh"), queryset=Agency.objects.none(), required=False,
        help_text=_("Không cần chọn khi đã nhập mã hồ sơ, hoặc thủ tục do một cơ quan thực "
                    "hiện."))
    official = forms.CharField(label=_("Tên hoặc chức danh cán bộ (nếu phản ánh về cán bộ)"),
                               max_length=150, required=False)
    content = forms.CharField(label=_("Nội dung phản ánh, kiến nghị"), max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 6}))
    files = MultipleFileField(
        label=_("Tệp đính kèm (không bắt buộc)"), required=False,
        widget=MultipleFiles(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=_("Tối đa 5 tệp PDF, JPG hoặc PNG."))
    name = forms.CharField(label=_("Họ và tên"), max_length=150,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("Email (không bắt buộc)"), required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    publish_consent = forms.BooleanField(
        label=_("Tôi đồng ý công khai câu hỏi và câu trả lời (đã xóa thông tin cá nhân) để "
                "người khác tham khảo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.order_by("name")

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(subject=data["subject"], content=data["content"],
                     agency_id=data["agency"].pk if data["agency"] else None,
                     procedure_code=data["procedure_code"], dossier_code=data["dossier_code"],
                     official=data["official"], publish_consent=data["publish_consent"])


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Nội dung trả lời"), max_length=8000,
                             widget=forms.Textarea(attrs={"rows": 8}))
    public_content = forms.CharField(
        label=_("Câu hỏi sẽ công khai"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Thông tin cá nhân (số điện thoại, số định danh, email, mã hồ sơ, họ tên) "
                    "được tự động xóa; hãy xóa thêm địa chỉ hoặc chi tiết nhận ra người gửi."))
    public_answer = forms.CharField(
        label=_("Câu trả lời sẽ công khai (để trống: dùng nội dung trả lời)"), max_length=8000,
        required=False, widget=forms.Textarea(attrs={"rows": 4}))


class VerdictForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("Bạn có hài lòng với câu trả lời?"), widget=forms.RadioSelect,
        choices=[("1", _("Hài lòng")), ("0", _("Không hài lòng"))],
        coerce=lambda value: value == "1")
